"""Runs one flow of internal/compat with boto3 and prints its result as JSON.

Usage: python3 boto3_flows.py FLOW ARGS...

  identity PROFILE
  buckets PROFILE                   (S3 ListBuckets, as "aws s3 ls")
  session PROFILE SERIAL CODE
  role-profile PROFILE              (the MFA code is read by botocore's prompt)
  iam PROFILE USER NEW_USER DEVICE QR_FILE

The endpoint and region come from AWS_ENDPOINT_URL and AWS_DEFAULT_REGION.
Errors go to stderr as botocore formats them; they never hold a secret.
"""

import base64
import json
import sys

import boto3


def identity(profile):
    sts = boto3.Session(profile_name=profile).client("sts")
    return {"Arn": sts.get_caller_identity()["Arn"]}


def buckets(profile):
    s3 = boto3.Session(profile_name=profile).client("s3")
    return {"Buckets": [b["Name"] for b in s3.list_buckets()["Buckets"]]}


def session(profile, serial, code):
    sts = boto3.Session(profile_name=profile).client("sts")
    creds = sts.get_session_token(SerialNumber=serial, TokenCode=code)["Credentials"]
    return {
        "AccessKeyId": creds["AccessKeyId"],
        "SecretAccessKey": creds["SecretAccessKey"],
        "SessionToken": creds["SessionToken"],
        # botocore parses the timestamp; hand it back in RFC 3339 UTC.
        "Expiration": creds["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def role_profile(profile):
    # The session's assume-role provider asks for the code with getpass, which
    # reads stdin when there is no controlling terminal.
    sts = boto3.Session(profile_name=profile).client("sts")
    return {"Arn": sts.get_caller_identity()["Arn"]}


def iam(profile, user, new_user, device, qr_file):
    client = boto3.Session(profile_name=profile).client("iam")
    created = client.create_user(UserName=new_user)["User"]["Arn"]
    keys = client.list_access_keys(UserName=user)["AccessKeyMetadata"]
    virt = client.create_virtual_mfa_device(VirtualMFADeviceName=device)["VirtualMFADevice"]
    # boto3 hands the PNG over already base64-decoded.
    png = virt.get("QRCodePNG", b"")
    if isinstance(png, str):
        png = base64.b64decode(png)
    with open(qr_file, "wb") as f:
        f.write(png)
    devices = client.list_mfa_devices(UserName=user)["MFADevices"]
    return {
        "CreatedARN": created,
        "KeyIDs": [k["AccessKeyId"] for k in keys if k["Status"] == "Active"],
        "VirtualSerial": virt["SerialNumber"],
        "Serials": [d["SerialNumber"] for d in devices],
    }


FLOWS = {"identity": identity, "buckets": buckets, "session": session, "role-profile": role_profile, "iam": iam}


def main(argv):
    if len(argv) < 2 or argv[1] not in FLOWS:
        print("usage: boto3_flows.py identity|buckets|session|role-profile|iam ARGS...", file=sys.stderr)
        return 2
    json.dump(FLOWS[argv[1]](*argv[2:]), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
