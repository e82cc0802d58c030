from django.db import models


class SentimentLabel(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"
    POSITIVE = "positive", "Positive"


class ModelChoice(models.TextChoices):
    BASELINE = "baseline", "VADER adapted to customer service"
    LEARNED = "learned", "Learned from this deployment's labels"
