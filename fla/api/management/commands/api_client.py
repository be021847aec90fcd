from django.core.management.base import BaseCommand, CommandError

from fla.accounts.models import Mandatary
from fla.api.models import ApiClient
from fla.api.services import SCOPES, ApiClientError, create_client, revoke_client
from fla.core.identifiers import InvalidIdentifier, clean_enterprise_number
from fla.employers.models import Employer


class Command(BaseCommand):
    help = "Register, list or revoke API clients (OAuth2 client credentials)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Register a client; prints its secret once.")
        who = create.add_mutually_exclusive_group(required=True)
        who.add_argument("--employer", metavar="ENTERPRISE_NUMBER")
        who.add_argument("--mandatary", metavar="ENTERPRISE_NUMBER")
        create.add_argument("--name", required=True)
        create.add_argument("--scopes", nargs="+", choices=SCOPES, default=list(SCOPES))
        revoke = sub.add_parser("revoke", help="Revoke a client and its tokens.")
        revoke.add_argument("client_id")
        sub.add_parser("list", help="List the clients.")

    def handle(self, *args, **options):
        action = options["action"]
        if action == "create":
            self._create(options)
        elif action == "revoke":
            try:
                client = revoke_client(options["client_id"])
            except ApiClientError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"revoked {client.client_id} ({client.name})")
        else:
            for client in ApiClient.objects.select_related("application", "employer", "mandatary"):
                owner = client.employer or client.mandatary
                state = "revoked" if client.revoked_at else "active"
                self.stdout.write(
                    f"{client.client_id}\t{client.name}\t{owner}\t{client.scopes}\t{state}"
                )

    def _create(self, options):
        number = options["employer"] or options["mandatary"]
        try:
            number = clean_enterprise_number(number)
        except InvalidIdentifier as exc:
            raise CommandError(f"{number}: {exc}") from exc
        employer = mandatary = None
        if options["employer"]:
            employer = Employer.objects.filter(enterprise_number=number).first()
            if employer is None:
                raise CommandError(f"No employer with enterprise number {number}.")
        else:
            mandatary = Mandatary.objects.filter(enterprise_number=number).first()
            if mandatary is None:
                raise CommandError(f"No mandatary with enterprise number {number}.")
        try:
            new = create_client(
                name=options["name"],
                employer=employer,
                mandatary=mandatary,
                scopes=options["scopes"],
            )
        except ApiClientError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"client_id: {new.client_id}")
        self.stdout.write(f"client_secret: {new.client_secret}")
        self.stdout.write("The secret is shown only now; store it safely.")
