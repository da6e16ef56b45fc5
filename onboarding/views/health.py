from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from portal.celery import app


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _broker_ok() -> bool:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


@never_cache
def healthz(request):
    """Liveness for load balancers: 200 when the database and the broker answer, else 503."""
    status = {"database": _database_ok(), "broker": _broker_ok()}
    return JsonResponse(
        {"status": "ok" if all(status.values()) else "degraded", **status},
        status=200 if all(status.values()) else 503,
    )
