"""Open311 read back through `georeport`, a GeoReport v2 client nobody here wrote.

Usage: georeport_check.py BASE_URL API_KEY. Lists services, reads a service definition, posts a
request form-urlencoded as the spec says (georeport itself is read-only), and reads it back, in
JSON and in XML. Ends with the line 'N passed, M failed'.
"""

import sys

import requests
import xmltodict
from georeport import GeoReport

BASE, KEY = sys.argv[1].rstrip("/") + "/open311/v2", sys.argv[2]
results = []


def check(name, condition):
    results.append(bool(condition))
    print(("ok    " if condition else "FAIL  ") + name)


for fmt in ("json", "xml"):
    client = GeoReport(BASE, jurisdiction="taian", output_format=fmt)

    services = client.get_service_list()
    codes = sorted(s["service_code"] for s in services)
    check(f"{fmt}: the four services are listed",
          codes == ["lost_or_confused", "minor_alone", "sleeping_rough", "weather_danger"])

    definition = client.get_service_definition("sleeping_rough")
    attributes = definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"]
    check(f"{fmt}: the definition has people_count and categories",
          {a["code"] for a in attributes} == {"people_count", "categories"})

    posted = requests.post(f"{BASE}/requests.{fmt}", data={
        "api_key": KEY, "service_code": "sleeping_rough", "lat": "36.1866", "long": "117.1032",
        "description": "PRIVATE grey coat", "phone": "13912345678",
        "attribute[people_count]": "2", "attribute[categories][]": ["disabled"],
    })
    check(f"{fmt}: the form-urlencoded POST is accepted", posted.status_code in (200, 201))
    if fmt == "json":
        sid = posted.json()[0]["service_request_id"]
    else:
        sid = xmltodict.parse(posted.content)["service_requests"]["request"]["service_request_id"]
    check(f"{fmt}: the id is a string", isinstance(sid, str) and len(sid) == 36)

    got = client.get_service_request(sid)
    check(f"{fmt}: read back by id", got["service_request_id"] == sid)
    check(f"{fmt}: open, at the nearest station", got["status"] == "open"
          and got["agency_responsible"] == "泰安市救助管理站")
    check(f"{fmt}: the public sees lat and long to 0.01 degree",
          abs(float(got["lat"]) - 36.19) < 1e-9 and abs(float(got["long"]) - 117.10) < 1e-9)
    check(f"{fmt}: requested_datetime is set", bool(got["requested_datetime"]))
    check(f"{fmt}: no phone and no description for a public reader",
          "13912345678" not in str(got) and "PRIVATE" not in str(got))

    listed = client.get_service_requests(service_request_id=sid)
    listed = listed if isinstance(listed, list) else [listed]
    check(f"{fmt}: the list filtered by id holds it", [r["service_request_id"] for r in listed] == [sid])

    # georeport sends its key only with posts; a partner's read carries it as a parameter.
    own = requests.get(f"{BASE}/requests/{sid}.{fmt}", params={"api_key": KEY})
    check(f"{fmt}: the posting partner reads its own in full",
          own.status_code == 200 and "36.1866" in own.text and "PRIVATE" in own.text)

    special = requests.post(f"{BASE}/requests.{fmt}", data={
        "api_key": KEY, "service_code": "lost_or_confused", "lat": "36.1866", "long": "117.1032",
    })
    check(f"{fmt}: a request about a confused person is accepted", special.status_code in (200, 201))
    special_id = (special.json()[0]["service_request_id"] if fmt == "json" else
                  xmltodict.parse(special.content)["service_requests"]["request"]["service_request_id"])
    hidden = requests.get(f"{BASE}/requests/{special_id}.{fmt}")
    check(f"{fmt}: and the public cannot look it up", hidden.status_code == 404)

passed, failed = results.count(True), results.count(False)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
