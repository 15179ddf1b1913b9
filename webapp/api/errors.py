from __future__ import annotations

from django.http import JsonResponse

from webapp.wire.codes import ERRORS
from webapp.wire.faceshape import error_body


class ApiFailure(Exception):
    """Stop handling a request and answer error `name` of wire.codes.ERRORS."""

    def __init__(self, name: str, **params: object) -> None:
        super().__init__(name)
        self.name = name
        self.params = params

    def response(self) -> JsonResponse:
        return JsonResponse(
            error_body(self.name, **self.params), status=ERRORS[self.name].http_status
        )
