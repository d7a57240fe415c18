"""The AI ledger: one row per provider call, whatever its outcome."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Outcome(models.TextChoices):
    OK = "ok", "OK"
    ERROR = "error", "Error"
    SKIPPED = "skipped", "Skipped (policy, budget or circuit open)"


class AIRun(models.Model):
    capability = models.CharField(max_length=32)
    provider = models.CharField(max_length=32)
    model = models.CharField(max_length=128, blank=True)
    prompt_version = models.CharField(max_length=16, blank=True)
    document = models.ForeignKey("documents.Document", null=True, blank=True, on_delete=models.SET_NULL)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "AI run"
        indexes = [models.Index(fields=["provider", "created_at"])]

    def __str__(self) -> str:
        return f"{self.capability} via {self.provider} ({self.outcome})"
