from .switches import current_switches


def system_settings(request):
    """Expose the switches to templates as `switches` (read lazily, once per request)."""
    return {"switches": current_switches}
