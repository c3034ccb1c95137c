"""Property-based fuzzing of the published OpenAPI document (schemathesis, in process): no 5xx,
and every response, error or not, matches what the document says.

The app is built at import because schemathesis reads the schema at collection time (its lazy
fixture loader does not work with this pytest)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from starlette.types import Receive, Scope, Send

from index.answerer import Answerer
from index.corpus import Corpus
from service.app import app_state, create_app
from tests.conftest import HashingEmbedder, load_fixture_articles
from tests.service.conftest import AUTH, make_settings

_DIRECTORY = Path(tempfile.mkdtemp(prefix="iqtibas-fuzz-"))
_CORPUS = Corpus(_DIRECTORY / "index", HashingEmbedder())
_CORPUS.add(load_fixture_articles())
# small limits so that the generator reaches them; a job for batches over 4 articles
_APP = create_app(
    make_settings(
        _DIRECTORY,
        max_question_characters=300,
        max_article_characters=2000,
        max_batch_articles=8,
        sync_batch_articles=4,
    ),
    answerer=Answerer(_CORPUS),
)


async def _app_without_lifespan(scope: Scope, receive: Receive, send: Send) -> None:
    """The app, its lifespan acknowledged but not run: schemathesis starts and stops the
    lifespan around every call, and stopping closes the write queue for good (as it should
    when a server stops); it is closed once, at exit."""
    if scope["type"] != "lifespan":
        await _APP(scope, receive, send)
        return
    while True:
        message = await receive()
        await send({"type": f"{message['type']}.complete"})
        if message["type"] == "lifespan.shutdown":
            return


schema = schemathesis.openapi.from_asgi("/openapi.json", _app_without_lifespan)


def _clean_up() -> None:
    app_state(_APP).close()  # stops the ingest worker that fuzzed batches started
    _CORPUS.close()
    shutil.rmtree(_DIRECTORY, ignore_errors=True)


# at exit, not in a fixture: collection builds all this even when no test here is selected
atexit.register(_clean_up)


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("IQTIBAS_FUZZ_EXAMPLES", "30")),
    database=None,  # no .hypothesis folder in the working tree
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_api_honours_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=AUTH)
