from django.db import models


class PeriodicJob(models.Model):
    """When a periodic job (blockdesk.periodic) is next due: the row every worker claims it through."""

    name = models.CharField(max_length=100, primary_key=True)
    next_run_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.name
