from django.db import models


class Channel(models.TextChoices):
    PHONE = "phone", "Phone"
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"
    CHAT = "chat", "Chat"
    SOCIAL = "social", "Social"
    WEB = "web", "Web"
    IN_PERSON = "in_person", "In person"
    OTHER = "other", "Other"


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"
