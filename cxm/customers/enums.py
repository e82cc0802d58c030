from django.db import models


class IdentityKind(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    CRM_ID = "crm_id", "CRM id"
    TWITTER = "twitter", "Twitter / X"
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    YOUTUBE = "youtube", "YouTube"
    CHAT_VISITOR = "chat_visitor", "Chat visitor"
    OTHER = "other", "Other"


class CustomerKind(models.TextChoices):
    RESIDENTIAL = "residential", "Residential"
    BUSINESS = "business", "Business"
    UNKNOWN = "unknown", "Unknown"


class MergeProposalStatus(models.TextChoices):
    PENDING = "pending", "Pending review"
    ACCEPTED = "accepted", "Merged"
    REJECTED = "rejected", "Rejected"


class MergeAction(models.TextChoices):
    MERGE = "merge", "Merge"
    UNMERGE = "unmerge", "Un-merge"


class MatchMethod(models.TextChoices):
    IDENTIFIER = "identifier", "Shared identifier"
    PROBABILISTIC = "probabilistic", "Probabilistic match"
