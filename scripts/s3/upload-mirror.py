#!/usr/bin/env python3
"""Uploads a PMC Cloud-layout mirror into an S3 server (moto_server in the tests) as bucket pmc-oa-opendata.

usage: upload-mirror.py ENDPOINT MIRROR_DIR FILLERS

Creates the bucket with a public-read policy (anonymous GetObject and ListBucket), uploads every file of MIRROR_DIR
under its relative key, then FILLERS extra article versions (metadata + JATS without figures, so listings span
several pages) and one article whose media key needs URL encoding ("fig 1+a.png") and whose second figure
("fig-2.png") is a one-part multipart upload (its ETag is then not an MD5 of the body). Prints the number of article
prefixes uploaded.
"""
import json
import os
import sys

import boto3

BUCKET = "pmc-oa-opendata"


def main():
    endpoint, mirror, fillers = sys.argv[1], sys.argv[2], int(sys.argv[3])
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="test", aws_secret_access_key="test")
    s3.create_bucket(Bucket=BUCKET)
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"]}]}
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
    prefixes = set()
    for root, _, files in os.walk(mirror):
        for name in files:
            path = os.path.join(root, name)
            key = os.path.relpath(path, mirror)
            if "/" not in key:
                continue
            prefixes.add(key.split("/")[0])
            with open(path, "rb") as f:
                s3.put_object(Bucket=BUCKET, Key=key, Body=f.read())
    jats = ('<?xml version="1.0"?><article><front><article-meta><title-group><article-title>{t}</article-title>'
            '</title-group></article-meta></front><body>{b}</body></article>')
    for i in range(fillers):
        key = f"PMC{9_000_000 + i}.1"
        meta = {"pmcid": f"PMC{9_000_000 + i}", "version": 1, "license_code": "CC BY", "is_retracted": False,
                "xml_url": f"s3://{BUCKET}/{key}/{key}.xml", "media_urls": []}
        s3.put_object(Bucket=BUCKET, Key=f"{key}/{key}.json", Body=json.dumps(meta).encode())
        s3.put_object(Bucket=BUCKET, Key=f"{key}/{key}.xml", Body=jats.format(t=f"Filler {i}", b="<p>No figures.</p>").encode())
        prefixes.add(key)
    # One article whose media key needs URL encoding; its image is any PNG of the mirror.
    png = next(os.path.join(r, n) for r, _, fs in sorted(os.walk(mirror)) for n in sorted(fs) if n.endswith(".png"))
    key = "PMC8999999.1"
    media = "fig 1+a.png"
    meta = {"pmcid": "PMC8999999", "version": 1, "license_code": "CC BY", "is_retracted": False,
            "xml_url": f"s3://{BUCKET}/{key}/{key}.xml",
            "media_urls": [f"s3://{BUCKET}/{key}/{media}", f"s3://{BUCKET}/{key}/fig-2.png"]}
    body = ('<fig id="F1"><label>Figure 1</label><caption><p>Axial CT of the chest shows a nodule in the right lung.</p>'
            '</caption><graphic xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="fig 1+a.tif"/></fig>'
            '<fig id="F2"><label>Figure 2</label><caption><p>Chest radiograph after treatment.</p>'
            '</caption><graphic xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="fig-2"/></fig>')
    s3.put_object(Bucket=BUCKET, Key=f"{key}/{key}.json", Body=json.dumps(meta).encode())
    s3.put_object(Bucket=BUCKET, Key=f"{key}/{key}.xml", Body=jats.format(t="Encoded key", b=body).encode())
    with open(png, "rb") as f:
        data = f.read()
    s3.put_object(Bucket=BUCKET, Key=f"{key}/{media}", Body=data)
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key=f"{key}/fig-2.png")
    part = s3.upload_part(Bucket=BUCKET, Key=f"{key}/fig-2.png", UploadId=upload["UploadId"], PartNumber=1, Body=data)
    s3.complete_multipart_upload(Bucket=BUCKET, Key=f"{key}/fig-2.png", UploadId=upload["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    prefixes.add(key)
    print(len(prefixes))


if __name__ == "__main__":
    main()
