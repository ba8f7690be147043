"""Publish one package to a flight the way the documented Python sample does, standard library only,
with the retry logic a pipeline needs against the Store's rough edges:

- 429 and 503: wait `Retry-After` seconds (or back off exponentially) and send the call again;
- 401 after the token expired during a long wait: get a new token once and send again;
- CommitStarted (or any stage) for a long time: keep polling until a final status or a deadline.

Usage: python rough_edges_sample.py BASE_URL TENANT CLIENT_ID SECRET APP_ID FLIGHT_ID ZIP PACKAGE_FILE_NAME
Prints each call that was retried and each status; exits 0 when the submission is Published.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

MAX_TRIES = 12
POLL_SECONDS = 0.5
DEADLINE_SECONDS = 300
FINAL = ("Published", "Failed")  # Published, or any status ending in Failed


class Session:
    def __init__(self, base_url: str, tenant: str, client_id: str, secret: str) -> None:
        self.base_url, self.tenant, self.client_id, self.secret = base_url.rstrip("/"), tenant, client_id, secret
        self.token = self.new_token()

    def new_token(self) -> str:
        form = urllib.parse.urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.secret,
                "resource": "https://manage.devcenter.microsoft.com",
            }
        ).encode()
        with urllib.request.urlopen(f"{self.base_url}/{self.tenant}/oauth2/token", form, timeout=30) as answer:
            return str(json.load(answer)["access_token"])

    def call(self, method: str, path: str, body: object = None) -> dict[str, object]:
        """One API call, sent again on 429/503 (after Retry-After) and with a new token on 401.

        A 401 right after getting a new token is final: the credentials themselves are refused.
        """
        data = json.dumps(body).encode() if body is not None else None
        refreshed = False
        for attempt in range(MAX_TRIES):
            request = urllib.request.Request(f"{self.base_url}/v1.0/my/{path}", data=data, method=method)
            request.add_header("Authorization", f"Bearer {self.token}")
            request.add_header("Content-Type", "application/json")
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    text = answer.read()
                    return json.loads(text) if text else {}
            except urllib.error.HTTPError as error:
                if error.code == 401 and not refreshed:
                    print(f"{method} {path}: 401, getting a new token")
                    self.token, refreshed = self.new_token(), True
                    continue
                refreshed = False
                if error.code not in (429, 503):
                    raise
                wait = float(error.headers.get("Retry-After") or 2**attempt)
                print(f"{method} {path}: {error.code}, trying again in {wait:g} s")
                time.sleep(wait)
        raise RuntimeError(f"{method} {path} still refused after {MAX_TRIES} tries")


def upload(url: str, archive: bytes) -> None:
    request = urllib.request.Request(url.replace("+", "%2B"), data=archive, method="PUT")
    request.add_header("x-ms-blob-type", "BlockBlob")
    with urllib.request.urlopen(request, timeout=60):
        pass


def publish(session: Session, app_id: str, flight_id: str, archive: bytes, package: str) -> str:
    flights = f"applications/{app_id}/flights/{flight_id}"
    flight = session.call("GET", flights)
    pending = flight.get("pendingFlightSubmission")
    if isinstance(pending, dict):
        submission = session.call("GET", f"{flights}/submissions/{pending['id']}")
    else:
        submission = session.call("POST", f"{flights}/submissions")
    path = f"{flights}/submissions/{submission['id']}"
    packages = submission.get("flightPackages")
    new = {"fileName": package, "fileStatus": "PendingUpload", "minimumDirectXVersion": "None", "minimumSystemRam": "None"}
    submission["flightPackages"] = [*(packages if isinstance(packages, list) else []), new]
    session.call("PUT", path, submission)
    upload(str(submission["fileUploadUrl"]), archive)
    session.call("POST", f"{path}/commit")
    deadline, status = time.monotonic() + DEADLINE_SECONDS, "CommitStarted"
    while time.monotonic() < deadline and not status.endswith(FINAL):
        time.sleep(POLL_SECONDS)
        current = str(session.call("GET", f"{path}/status")["status"])
        if current != status:
            print(f"status: {current}")
        status = current
    return status


def main(argv: list[str]) -> int:
    base_url, tenant, client_id, secret, app_id, flight_id, zip_path, package = argv
    with open(zip_path, "rb") as handle:
        archive = handle.read()
    final = publish(Session(base_url, tenant, client_id, secret), app_id, flight_id, archive, package)
    print(f"final status: {final}")
    return 0 if final == "Published" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
