from django.urls import path

from cxm.console import views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    path("customers/", views.customer_search, name="customer-search"),
    path("customers/<int:customer_id>/", views.customer_detail, name="customer-detail"),
    path("customers/<int:customer_id>/export/", views.customer_export, name="customer-export"),
    path("customers/<int:customer_id>/erase/", views.customer_erase, name="customer-erase"),
    path("merge-proposals/", views.merge_proposals, name="merge-proposals"),
    path(
        "merge-proposals/<int:proposal_id>/",
        views.merge_proposal_detail,
        name="merge-proposal",
    ),
    path(
        "merge-proposals/<int:proposal_id>/accept/",
        views.merge_proposal_accept,
        name="merge-proposal-accept",
    ),
    path(
        "merge-proposals/<int:proposal_id>/reject/",
        views.merge_proposal_reject,
        name="merge-proposal-reject",
    ),
    path("merges/<int:event_id>/undo/", views.merge_undo, name="merge-undo"),
    path("voice/", views.voice, name="voice"),
    path("follow-ups/", views.follow_ups, name="follow-ups"),
    path(
        "follow-ups/<int:follow_up_id>/close/",
        views.follow_up_close,
        name="follow-up-close",
    ),
    path("sentiment/", views.sentiment, name="sentiment"),
    path("sentiment/label/", views.sentiment_label, name="sentiment-label"),
    path("sentiment/train/", views.sentiment_train, name="sentiment-train"),
    path("topics/", views.topics, name="topics"),
    path("topics/save/", views.topic_save, name="topic-save"),
    path("topics/discover/", views.topics_discover, name="topics-discover"),
    path(
        "topics/suggestions/<int:suggestion_id>/adopt/",
        views.suggestion_adopt,
        name="suggestion-adopt",
    ),
]
