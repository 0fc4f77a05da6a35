"""A short day at the desk through a client generated from docs/openapi.json, against the real
server: every answer must parse into the model the document names, and an error into ErrorBody.

python scenario.py BASE_URL START (the server's clock start, RFC 3339)
"""

import sys
import uuid
from datetime import datetime, timedelta

from xunjiu_client import AuthenticatedClient, Client
from xunjiu_client.api.auth import login
from xunjiu_client.api.duty import accept, en_route, on_scene, resolve, station_queue
from xunjiu_client.api.hotspots import list_hotspots
from xunjiu_client.api.maps import heatmap
from xunjiu_client.api.people import list_people
from xunjiu_client.api.referrals import create_referral, get_referral
from xunjiu_client.api.reports import accountability
from xunjiu_client.api.sightings import create_sighting, create_sighting_batch
from xunjiu_client.api.stations import get_route
from xunjiu_client.models import (
    AccountabilityReport,
    BatchResult,
    ErrorBody,
    HeatmapCollection,
    HotspotList,
    LoginRequest,
    LoginResponse,
    NewReferral,
    NewSighting,
    PersonList,
    Queue,
    Referral,
    ResolveBody,
    Route,
    Sighting,
    SightingBatch,
    StepBody,
)

PASSWORD = "client-check-passphrase"
XINTAI = (35.9104, 117.7602)
checks = 0


def ok(what, reply, model):
    global checks
    checks += 1
    assert isinstance(reply.parsed, model), f"{what}: {reply.status_code} {reply.content[:300]!r}"
    print(f"ok    {what}: {reply.status_code} {model.__name__}")
    return reply.parsed


def main(base, start):
    now = datetime.fromisoformat(start.replace("Z", "+00:00"))
    anonymous = Client(base_url=base, raise_on_unexpected_status=True)

    def session(username):
        reply = login.sync_detailed(client=anonymous, body=LoginRequest(username=username, password=PASSWORD))
        token = ok(f"log in as {username}", reply, LoginResponse).token
        return AuthenticatedClient(base_url=base, token=token, raise_on_unexpected_status=True)

    patrol, hotline, duty, city = (session(u) for u in ("patrol.li", "hotline.12345", "duty.xintai", "supervisor.city"))

    def sighting(minutes_ago):
        return NewSighting.from_dict({
            "id": str(uuid.uuid4()),
            "observed_at": (now - timedelta(minutes=minutes_ago)).isoformat(),
            "location": {"lat": XINTAI[0], "lon": XINTAI[1], "accuracy_m": 10.0},
            "people_count": 1,
            "categories": [],
            "action_taken": "informed_of_station",
            "notes": "sleeping under the bridge",
        })

    ok("a sighting", create_sighting.sync_detailed(client=patrol, body=sighting(3)), Sighting)
    batch = SightingBatch.from_dict({"sightings": [sighting(20).to_dict(), sighting(15).to_dict()]})
    result = ok("a batch of two", create_sighting_batch.sync_detailed(client=patrol, body=batch), BatchResult)
    assert len(result.results) == 2, result

    filed = ok("a 12345 referral", create_referral.sync_detailed(client=hotline, body=NewReferral.from_dict({
        "id": str(uuid.uuid4()),
        "channel": "12345",
        "external_ref": "TA-CLIENT-1",
        "reported_at": (now - timedelta(minutes=2)).isoformat(),
        "location": {"lat": XINTAI[0], "lon": XINTAI[1]},
        "caller_phone": "13800138000",
        "people_count": 1,
        "categories": ["elderly"],
        "description": "an old man in a thin coat",
    })), Referral)
    assert filed.station.code == "xintai", filed.station

    queue = ok("the duty officer's queue", station_queue.sync_detailed("xintai", client=duty, limit=50), Queue)
    assert any(str(e.referral.id) == str(filed.id) for e in queue.entries), "the referral is in the queue"
    for step, call in (("accept", accept), ("en-route", en_route), ("on-scene", on_scene)):
        ok(step, call.sync_detailed(filed.id, client=duty, body=StepBody.from_dict({})), Referral)
    done = ok("resolve", resolve.sync_detailed(filed.id, client=duty, body=ResolveBody.from_dict({"outcome": "admitted_to_station"})), Referral)
    assert str(done.status) in ("resolved", "Status.RESOLVED") or getattr(done.status, "value", "") == "resolved", done.status

    ok("accountability", accountability.sync_detailed(client=city, from_=now - timedelta(days=1), to=now + timedelta(hours=1)), AccountabilityReport)
    maps = ok("the heat-map", heatmap.sync_detailed(client=city, from_=now - timedelta(days=1), to=now + timedelta(hours=1), cell_m=1000.0), HeatmapCollection)
    assert maps.total == 3, maps.total
    route = ok("route", get_route.sync_detailed(client=anonymous, lat=XINTAI[0], lon=XINTAI[1]), Route)
    assert route.station.code == "xintai"
    hotspots = ok("hotspots", list_hotspots.sync_detailed(client=patrol), HotspotList)
    assert hotspots.hotspots, "the seeded hotspots"
    ok("people search", list_people.sync_detailed(client=duty, q="王"), PersonList)

    missing = ok("an unknown referral", get_referral.sync_detailed(uuid.uuid4(), client=duty), ErrorBody)
    assert missing.error.code == "referral_not_found", missing.error.code
    refused = ok("a route outside the coordinates", get_route.sync_detailed(client=anonymous, lat=123.0, lon=117.0), ErrorBody)
    assert refused.error.code == "invalid_coordinates", refused.error.code
    print(f"{checks} calls parsed")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
