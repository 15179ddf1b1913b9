from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from webapp.api.models import ApiClient


class Command(BaseCommand):
    help = "Create API credentials: `apiclient create NAME` prints {appid, secret_id, secret_key}."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a credential and print it as JSON")
        create.add_argument("name")
        create.add_argument("--rate-limit", type=int, default=None, help="requests a minute")
        sub.add_parser("list", help="list credentials (without secret keys)")

    def handle(self, *args: object, **options: object) -> None:
        if options["action"] == "create":
            client = ApiClient(name=options["name"])
            if options["rate_limit"] is not None:
                if options["rate_limit"] < 1:
                    raise CommandError("--rate-limit must be at least 1")
                client.rate_limit_per_minute = options["rate_limit"]
            secret_key = client.set_new_secret_key()
            client.save()
            self.stdout.write(json.dumps(client.credentials(secret_key)))
        else:
            for client in ApiClient.objects.all():
                self.stdout.write(
                    json.dumps(
                        {
                            "name": client.name,
                            "appid": client.appid,
                            "secret_id": client.secret_id,
                            "active": client.is_active,
                        }
                    )
                )
