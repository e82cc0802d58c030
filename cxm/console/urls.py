from django.urls import path

from cxm.console import case_views, promise_views, views

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
    path("queue/", case_views.queue, name="queue"),
    path("cases/<int:case_id>/", case_views.case_page, name="case"),
    path("cases/<int:case_id>/reply/", case_views.case_reply, name="case-reply"),
    path("cases/<int:case_id>/status/", case_views.case_status, name="case-status"),
    path("cases/<int:case_id>/triage/", case_views.case_triage, name="case-triage"),
    path("cases/<int:case_id>/assign/", case_views.case_assign, name="case-assign"),
    path("cases/<int:case_id>/merge/", case_views.case_merge, name="case-merge"),
    path("cases/<int:case_id>/split/", case_views.case_split, name="case-split"),
    path("fairness/", case_views.fairness_audit, name="fairness"),
    path("scorecards/", case_views.scorecards, name="scorecards"),
    path("charter/", case_views.charter, name="charter"),
    path("charter/edit/", case_views.charter_edit, name="charter-edit"),
    path("charter/edit/save/", case_views.charter_save, name="charter-save"),
    path(
        "charter/edit/<str:channel>/remove/",
        case_views.charter_remove,
        name="charter-remove",
    ),
    path("gaps/", promise_views.gaps, name="gaps"),
    path(
        "promise-alerts/<int:alert_id>/acknowledge/",
        promise_views.alert_acknowledge,
        name="promise-alert-acknowledge",
    ),
    path("promises/", promise_views.promises, name="promises"),
    path("promises/new/", promise_views.promise_new, name="promise-new"),
    path("promises/keeping/", promise_views.keeping, name="promise-keeping"),
    path("promises/suggestions/", promise_views.suggestions, name="promise-suggestions"),
    path(
        "promises/suggestions/<int:promise_suggestion_id>/confirm/",
        promise_views.suggestion_confirm,
        name="promise-suggestion-confirm",
    ),
    path(
        "promises/suggestions/<int:promise_suggestion_id>/dismiss/",
        promise_views.suggestion_dismiss,
        name="promise-suggestion-dismiss",
    ),
    path("promises/<int:promise_id>/", promise_views.promise_page, name="promise"),
    path(
        "promises/<int:promise_id>/deliver/",
        promise_views.promise_deliver,
        name="promise-deliver",
    ),
    path("promises/<int:promise_id>/break/", promise_views.promise_break, name="promise-break"),
    path(
        "promises/<int:promise_id>/renegotiate/",
        promise_views.promise_renegotiate,
        name="promise-renegotiate",
    ),
    path("journey/", promise_views.journey, name="journey"),
]
