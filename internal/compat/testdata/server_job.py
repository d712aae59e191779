# A simulated long job run inside `awsmfa exec --server`: one boto3 session
# for the whole job, and the AWS CLI v1 started afresh at every step, both
# getting their credentials from the container endpoint awsmfa serves.
#
#   python3 server_job.py STEPS STEP_SECONDS
#
# Between steps the job moves the clocks forward by STEP_SECONDS: the
# emulator's through its control API (AWSEMU_URL, AWSEMU_TOKEN), then the
# offset in COMPAT_CLOCK_FILE that awsmfa and botocore (through the
# clockshim sitecustomize) add to the real time. It prints one JSON list,
# a record per step; it never prints a secret.
import json
import os
import subprocess
import sys
import urllib.request

import boto3


def advance(seconds):
    req = urllib.request.Request(
        os.environ["AWSEMU_URL"] + "/_awsemu/clock?advance=%ds" % seconds,
        method="POST",
        headers={"X-Awsemu-Token": os.environ["AWSEMU_TOKEN"]},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        resp.read()
    path = os.environ["COMPAT_CLOCK_FILE"]
    with open(path) as f:
        now = int(f.read().strip() or "0")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(now + seconds))
    os.replace(tmp, path)


def main():
    steps, step = int(sys.argv[1]), int(sys.argv[2])
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    session = boto3.session.Session()
    sts = session.client("sts", endpoint_url=endpoint)
    records = []
    for i in range(steps + 1):
        if i > 0:
            advance(step)
        rec = {"step": i, "minutes": i * step // 60}
        try:
            rec["boto3_arn"] = sts.get_caller_identity()["Arn"]
            frozen = session.get_credentials().get_frozen_credentials()
            rec["boto3_key"] = frozen.access_key
            rec["boto3_method"] = session.get_credentials().method
        except Exception as e:  # the message names the failure, not a secret
            rec["boto3_error"] = "%s: %s" % (type(e).__name__, e)
        cli = subprocess.run(
            [os.environ.get("COMPAT_AWS_CLI", "aws"), "sts", "get-caller-identity", "--output", "json", "--endpoint-url", endpoint],
            capture_output=True,
            text=True,
            timeout=90,
        )
        if cli.returncode == 0:
            rec["cli_arn"] = json.loads(cli.stdout)["Arn"]
        else:
            rec["cli_error"] = cli.stderr.strip()[-400:]
        records.append(rec)
    print(json.dumps(records))


main()
