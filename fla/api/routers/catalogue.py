from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router

from fla.api.common import etagged
from fla.api.problems import request_language
from fla.api.schemas import CatalogueEntry
from fla.declarations.anomalies import CATALOGUE

router = Router(tags=["anomalies"])


@router.get("/anomalies", response=list[CatalogueEntry], operation_id="list_anomalies")
def list_anomalies(request: HttpRequest, response: HttpResponse):
    """The anomaly catalogue shared by every channel, messages in the Accept-Language."""
    language = request_language(request)
    data = [
        {
            "code": a.code,
            "severity": a.severity,
            "zone": a.zone,
            "message": a.message(language),
        }
        for a in CATALOGUE.values()
    ]
    response["Content-Language"] = language
    response["Vary"] = "Accept-Language"
    return etagged(request, response, data)
