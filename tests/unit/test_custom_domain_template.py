"""template.yaml's custom domain: DomainName and CertificateArn create the API Gateway domain and its mapping, set the
issuer, and let DisableExecuteApiEndpoint close the default endpoint (only then). Resolved by the local stack's
resolver (tools/oidc_tools/template.py), which evaluates the same conditions CloudFormation does."""

from __future__ import annotations

import pytest

from oidc_tools import template

EXECUTE_API = "https://abc123.execute-api.us-east-1.amazonaws.com"
DOMAIN = "auth.example.com"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789012"


@pytest.fixture(scope="module")
def cfn():
    return template.load()


def resolver(cfn, **parameters):
    return template.Resolver(cfn, parameters, {"HttpApi": "abc123", "CustomDomain": DOMAIN},
                             {("CustomDomain", "RegionalDomainName"): "d-xyz.execute-api.us-east-1.amazonaws.com"})


@pytest.mark.parametrize("parameters, issuer, api_url", [
    ({}, f"{EXECUTE_API}/oidc", EXECUTE_API),
    ({"IssuerUrl": "https://login.example.com/oidc"}, "https://login.example.com/oidc", EXECUTE_API),
    ({"DomainName": DOMAIN, "CertificateArn": CERTIFICATE}, f"https://{DOMAIN}/oidc", f"https://{DOMAIN}"),
    # the domain this stack creates and maps is the issuer; IssuerUrl is for fronts the stack does not create
    ({"DomainName": DOMAIN, "CertificateArn": CERTIFICATE, "IssuerUrl": "https://login.example.com/oidc"},
     f"https://{DOMAIN}/oidc", f"https://{DOMAIN}"),
], ids=["default", "issuer-url", "domain", "domain-and-issuer-url"])
def test_the_issuer_the_functions_get_is_the_one_the_stack_outputs(cfn, parameters, issuer, api_url):
    resolved = resolver(cfn, **parameters)
    for function in template.functions(cfn).values():
        assert resolved.resolve(function.environment["ISSUER"]) == issuer
    assert resolved.resolve(cfn["Outputs"]["Issuer"]["Value"]) == issuer
    assert resolved.resolve(cfn["Outputs"]["ApiUrl"]["Value"]) == api_url


def test_a_domain_creates_the_api_gateway_domain_and_maps_it_to_the_api(cfn):
    domain, mapping = cfn["Resources"]["CustomDomain"], cfn["Resources"]["CustomDomainMapping"]
    assert domain["Type"] == "AWS::ApiGatewayV2::DomainName" and mapping["Type"] == "AWS::ApiGatewayV2::ApiMapping"
    assert domain["Condition"] == mapping["Condition"] == "HasDomainName"
    assert cfn["Outputs"]["DomainTarget"]["Condition"] == "HasDomainName"
    resolved = resolver(cfn, DomainName=DOMAIN, CertificateArn=CERTIFICATE)
    assert resolved.condition("HasDomainName") and not resolver(cfn).condition("HasDomainName")
    properties = resolved.resolve(domain["Properties"])
    assert properties["DomainName"] == DOMAIN
    (configuration,) = properties["DomainNameConfigurations"]
    assert configuration["CertificateArn"] == CERTIFICATE and configuration["EndpointType"] == "REGIONAL"
    assert mapping["Properties"]["ApiId"] == {"Ref": "HttpApi"}
    assert mapping["Properties"]["DomainName"] == {"Ref": "CustomDomain"}
    assert "ApiMappingKey" not in mapping["Properties"]  # the root of the domain, so the issuer is https://<domain>/oidc


@pytest.mark.parametrize("parameters, disabled", [
    ({}, False),
    ({"DisableExecuteApiEndpoint": "true"}, False),  # no domain: the API would have no way in at all
    ({"DomainName": DOMAIN, "CertificateArn": CERTIFICATE}, False),
    ({"DomainName": DOMAIN, "CertificateArn": CERTIFICATE, "DisableExecuteApiEndpoint": "true"}, True),
], ids=["default", "without-domain", "domain", "domain-and-disable"])
def test_the_execute_api_endpoint_is_disabled_only_behind_a_domain(cfn, parameters, disabled):
    http_api = cfn["Resources"]["HttpApi"]["Properties"]
    assert resolver(cfn, **parameters).resolve(http_api["DisableExecuteApiEndpoint"]) is disabled


def test_the_resolver_knows_and_and_or(cfn):
    resolved = resolver(cfn, DomainName=DOMAIN)
    assert resolved.resolve({"Fn::And": [{"Condition": "HasDomainName"}, {"Fn::Equals": ["a", "a"]}]}) is True
    assert resolved.resolve({"Fn::And": [{"Condition": "HasDomainName"}, {"Fn::Equals": ["a", "b"]}]}) is False
    assert resolved.resolve({"Fn::Or": [{"Fn::Equals": ["a", "b"]}, {"Condition": "HasDomainName"}]}) is True
    assert resolver(cfn).resolve({"Fn::Or": [{"Fn::Equals": ["a", "b"]}, {"Condition": "HasDomainName"}]}) is False
