from django.urls import include, path

from fla.ops import views as ops_views

urlpatterns = [
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.metrics_view, name="metrics"),
    path("ops/", ops_views.ops_page, name="ops"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("fla.api.urls")),
    path("batch/", include("fla.batch.urls")),
    path("", include("fla.web.urls")),
]

# The online application's error pages, in the user's language (problem+json under /api/).
handler404 = "fla.web.errors.page_not_found"
handler403 = "fla.web.errors.permission_denied"
handler500 = "fla.web.errors.server_error"
