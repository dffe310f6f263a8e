"""Prints a SAM template as CloudFormation receives it: after the
AWS::Serverless-2016-10-31 transform (aws-sam-translator, which cfn-lint
brings), as JSON. Usage: python3 sam_transform.py template.yaml"""

import json
import os
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    """The template names no managed policy, so none needs resolving."""

    def load(self):
        return {}


with open(sys.argv[1], encoding="utf-8") as f:
    template = yaml_parse(f.read())

# The translator wants packaged code, as `sam deploy` uploads it.
template.get("Globals", {}).get("Function", {}).pop("CodeUri", None)
for resource in template["Resources"].values():
    if resource["Type"] == "AWS::Serverless::Function":
        resource["Properties"]["CodeUri"] = "s3://bucket/code.zip"

# The translator asks boto3 for a region (no AWS call is made).
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
json.dump(transform(template, {}, NoManagedPolicies()), sys.stdout, indent=1, default=str)
