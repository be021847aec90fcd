from django.conf import settings
from django.urls import path

import fla.core.urlconverters  # noqa: F401  (registers <id:...>)
from fla.web import oidc
from fla.web.security import rate_limited_login
from fla.web.views import access, app, declare, public

app_name = "web"

urlpatterns = [
    path("", public.welcome, name="welcome"),
    path("favicon.ico", public.favicon, name="favicon"),
    path("login/", public.login, name="login"),
    path("login/failed/", public.login_failed, name="login_failed"),
    path("logout/", public.logout, name="logout"),
    # Starting a login and coming back from the provider are rate limited per client.
    path(
        "oidc/authenticate/",
        rate_limited_login()(oidc.AuthenticationRequestView.as_view()),
        name="oidc_init",
    ),
    path(
        "oidc/callback/",
        rate_limited_login()(oidc.CallbackView.as_view()),
        name="oidc_callback",
    ),
    path("app/", app.home, name="home"),
    path("app/no-access/", public.no_access, name="no_access"),
    path("app/employer/", public.choose_employer, name="choose_employer"),
    path("app/dashboard/", app.dashboard, name="dashboard"),
    path("app/search/", app.search, name="search"),
    path("app/workers/", app.workers, name="workers"),
    path("app/workers/<id:worker_id>/", app.worker_detail, name="worker"),
    path("app/workers/<id:worker_id>/rights/", declare.rights_edit, name="rights_edit"),
    path(
        "app/workers/<id:worker_id>/trainings/new/",
        declare.training_new,
        name="worker_training_new",
    ),
    path("app/workers/<id:worker_id>/export/", access.worker_export, name="worker_export"),
    path("app/trainings/", app.trainings, name="trainings"),
    path("app/trainings/new/", declare.training_new, name="training_new"),
    path("app/trainings/bulk/", declare.training_bulk, name="training_bulk"),
    path("app/trainings/<id:training_id>/", app.training_detail, name="training"),
    path("app/trainings/<id:training_id>/edit/", declare.training_edit, name="training_edit"),
    path("app/trainings/<id:training_id>/cancel/", declare.training_cancel, name="training_cancel"),
    path("app/employer-years/", declare.employer_year_edit, name="employer_year"),
    path("app/access/", access.users, name="access_users"),
    path("app/access/grant/", access.grant, name="access_grant"),
    path("app/access/<id:access_id>/role/", access.change_role, name="access_role"),
    path("app/access/<id:access_id>/revoke/", access.revoke, name="access_revoke"),
    path("app/access/mandates/", access.mandates, name="access_mandates"),
    path("app/access/mandates/new/", access.mandate_new, name="access_mandate_new"),
    path("app/access/mandates/<id:mandate_id>/end/", access.mandate_end, name="access_mandate_end"),
    path("app/access/api-clients/", access.clients, name="access_clients"),
    path("app/access/api-clients/new/", access.client_new, name="access_client_new"),
    path(
        "app/access/api-clients/<id:client_pk>/revoke/",
        access.client_revoke,
        name="access_client_revoke",
    ),
    path("app/access/history/", access.history, name="access_history"),
    path(
        "app/mandataries/<id:mandatary_id>/api-clients/",
        access.mandatary_clients,
        name="mandatary_clients",
    ),
    path(
        "app/mandataries/<id:mandatary_id>/api-clients/new/",
        access.mandatary_client_new,
        name="mandatary_client_new",
    ),
    path(
        "app/mandataries/<id:mandatary_id>/api-clients/<id:client_pk>/revoke/",
        access.mandatary_client_revoke,
        name="mandatary_client_revoke",
    ),
]

# The demo login exists only in the embedded profile: in production the URL is absent,
# and the view answers 404 as well should the setting be switched off at run time.
if settings.DEMO_LOGIN:
    urlpatterns.append(
        path("login/demo/", rate_limited_login(("POST",))(public.demo_login), name="demo_login")
    )
