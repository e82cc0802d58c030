"""``cxm demo``: load Northvale Telecom, the demo company, and print a console login."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from tqdm import tqdm

from cxm.cases import selectors as case_selectors
from cxm.demo import generator, selectors, services


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


class Command(BaseCommand):
    help = (
        "Load Northvale Telecom, a regional internet and phone provider, with customers who "
        "reach it on every channel, through the same ingestion path as real data, and its "
        "history routed into cases under service-level targets, with its sales, promises and "
        "customer journeys; then print a console login. "
        "Running it again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=generator.DEFAULT_SEED, help="Same seed, same company"
        )
        parser.add_argument(
            "--customers", type=_count, default=generator.DEFAULT_CUSTOMERS,
            help="People in the company's books (default %(default)s)",
        )  # fmt: skip
        parser.add_argument(
            "--interactions", type=_count, default=generator.DEFAULT_INTERACTIONS,
            help="Interactions over the last 180 days (default %(default)s)",
        )  # fmt: skip
        parser.add_argument("--no-progress", action="store_true", help="No progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("The database is not set up yet: run `cxm migrate` first.")

        bar = tqdm(
            total=options["interactions"], unit=" lines", desc="Northvale Telecom",
            disable=options["no_progress"] or None, file=sys.stderr,
        )  # fmt: skip

        def advance(lines: int) -> None:
            # The journeys' lines come on top of the interactions asked for.
            if bar.total is not None and bar.n + lines > bar.total:
                bar.total = bar.n + lines
            bar.update(lines)

        try:
            loaded = services.demo_load(
                seed=options["seed"],
                customers=options["customers"],
                interactions=options["interactions"],
                progress=advance,
            )
        except generator.DemoSizeError as exc:
            raise CommandError(str(exc)) from None
        finally:
            bar.close()

        result = loaded.result
        password = services.demo_password_ensure(data_dir=settings.DATA_DIR)
        services.demo_login_ensure(password=password)
        counts = selectors.demo_counts()

        self.stdout.write(
            f"Northvale Telecom (seed {options['seed']}): {result.accepted:,} interactions "
            f"stored, {result.duplicates:,} already there, {len(result.rejected):,} rejected; "
            f"{result.proposals:,} merge proposals raised."
        )
        self.stdout.write(
            f"Customers: {counts.customers:,} ({counts.accounts:,} business accounts) · "
            f"Interactions: {counts.interactions:,} · "
            f"Pending merge proposals: {counts.pending_proposals:,}"
        )
        dedupe = loaded.dedupe
        if dedupe is None:
            self.stdout.write(
                "Match model already trained; left as it was (`cxm dedupe` retrains)."
            )
        else:
            self.stdout.write(
                f"Match model trained on {dedupe.customers:,} customers: "
                f"{len(dedupe.merged):,} merged automatically, "
                f"{len(dedupe.proposed):,} proposed for review."
            )
        self.stdout.write(
            "Set up for the review queue: "
            + ", ".join(f"{count} {what}" for what, count in loaded.planted.items())
            + "."
        )
        surveys = loaded.surveys
        if surveys.existing:
            self.stdout.write("Surveys already there; left as they were.")
        else:
            self.stdout.write(
                f"Surveys: {surveys.surveys} (relationship NPS, support CSAT, installation CES) "
                f"with {surveys.invited:,} invitations, {surveys.responded:,} answers, "
                f"{surveys.dismissed:,} dismissals, {surveys.held_back:,} held back by the "
                f"contact policy; {surveys.follow_ups_closed:,} follow-ups closed, "
                f"{surveys.follow_ups_open:,} open."
            )
        levels, cases = loaded.service_levels, loaded.cases
        if levels.calendars or levels.policies or levels.charter:
            self.stdout.write(
                f"Service levels: {levels.calendars} business calendars, {levels.policies} SLA "
                f"policies, a channel charter of {levels.charter} channels."
            )
        if cases is not None:
            # Counted now: the last promise sweep opens cases for the freshest breaks.
            waiting = case_selectors.case_queue(actor=None, limit=1).total
            self.stdout.write(
                f"Cases: {cases.routed:,} interactions routed, {cases.resolved:,} cases resolved "
                f"as their conversations ended, {waiting:,} waiting in the queue."
            )
        journeys = loaded.journeys
        if journeys is not None:
            prepared, settled = journeys.prepared, journeys.settled
            story = selectors.demo_journey_counts()
            self.stdout.write(
                f"Journeys: {prepared.sales:,} sales and {prepared.promises:,} promises imported "
                f"({prepared.milestones} onboarding milestones set); promises now "
                + ", ".join(
                    f"{n:,} {status.replace('_', ' ')}" for status, n in story.promises.items()
                )
                + f"; {story.churned:,} customers churned; the sweep broke {settled.broken:,} "
                f"promises and flagged {settled.at_risk:,} at risk."
            )
        if os.environ.get(services.PASSWORD_ENV):
            where = f"from {services.PASSWORD_ENV}"
        else:
            where = f"kept in {settings.DATA_DIR / services.PASSWORD_FILE}"
        self.stdout.write(f"Console login: {services.DEMO_USERNAME} / {password}  ({where})")
        if result.rejected:
            for rejected in result.rejected[:5]:
                self.stderr.write(f"line {rejected.line}: {rejected.field}: {rejected.message}")
            raise CommandError(
                f"{len(result.rejected)} demo lines were rejected; this is a bug in the demo "
                "generator"
            )
        if journeys is not None and journeys.prepared.rejected:
            for problem in journeys.prepared.rejected[:5]:
                self.stderr.write(f"line {problem.line}: {problem.field}: {problem.message}")
            raise CommandError(
                f"{len(journeys.prepared.rejected)} demo sales or promises were rejected; this "
                "is a bug in the demo"
            )
