"""manage.py check_links: check every website and source URL of the catalogue."""

from django.core.management.base import BaseCommand, CommandError

from catalogue.links import check_links, users_of


class Command(BaseCommand):
    help = (
        "Checks every record's website and every source's URL (HEAD, or GET when a server "
        "refuses HEAD; redirects followed), keeps the outcome of each URL for curators (admin: "
        "Link checks), forgets URLs no longer linked to, and lists the broken ones with the "
        "records and sources that use them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--concurrency",
            type=int,
            default=8,
            help="How many URLs to check at the same time (default 8).",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=10.0,
            help="Seconds to wait for a server before giving a URL up as timed out (default 10).",
        )

    def handle(self, *args, concurrency: int, timeout: float, **options):
        if concurrency < 1:
            raise CommandError("--concurrency must be at least 1.")
        if timeout <= 0:
            raise CommandError("--timeout must be a positive number of seconds.")
        outcomes = check_links(concurrency=concurrency, timeout=timeout)
        broken = [outcome for outcome in outcomes if outcome.is_broken]
        self.stdout.write(f"Checked {len(outcomes)} URL(s): {len(broken)} broken.")
        users = users_of(outcome.url for outcome in broken)
        for outcome in broken:
            self.stdout.write(self.style.WARNING(f"{outcome.url}: {outcome.problem}"))
            for user in users.get(outcome.url, []):
                self.stdout.write(f"  used by {user._meta.verbose_name} {user} ({user.slug})")
