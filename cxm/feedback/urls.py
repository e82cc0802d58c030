from django.urls import path

from cxm.feedback import views

app_name = "feedback"

urlpatterns = [
    path("<str:token>/", views.survey_answer, name="survey-answer"),
    path("<str:token>/dismiss/", views.survey_dismiss, name="survey-dismiss"),
]
