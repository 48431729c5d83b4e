"""template.yaml's operating resources (issue 21): every alarm reaches a person, every API, function, dead-letter
queue and the table are watched, paybridge's own metrics are alarmed on the dimensions they are really published
with, logs are kept for a set time, the dashboard shows what the alarms watch, settlement runs one at a time and its
missed runs are kept, queues and the table survive a deletion, and the operator console's AWS resources. Each item is
held here, so that removing one fails a test."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from paybridge import config, observability
from paybridge.ops import stack
from paybridge.store import queue
from paybridge_local import template

pytestmark = pytest.mark.unit
LAYER = Path(__file__).resolve().parents[2] / "layers" / "shared" / "paybridge"
TOPIC = [{"Ref": "AlarmTopic"}]
# CloudWatch Logs' RetentionInDays, every value it takes.
RETENTIONS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]
# A Metrics Insights query over one exact dimension set, summed into one series: SELECT SUM(m) FROM SCHEMA("ns", ...)
INSIGHTS = re.compile(r'SELECT SUM\((\w+)\) FROM SCHEMA\("([^"]+)"((?:, "\w+")*)\)(.*)', re.DOTALL)


def resources() -> dict[str, Any]:
    resources: dict[str, Any] = template.load()["Resources"]
    return resources


def of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {name: resource["Properties"] for name, resource in template.resources(kind)}


def alarms() -> dict[str, dict[str, Any]]:
    return of_type("AWS::CloudWatch::Alarm")


def dimensions(alarm: dict[str, Any]) -> dict[str, Any]:
    return {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}


def watching(namespace: str, metric: str) -> list[dict[str, Any]]:
    """The alarms on one metric (a single metric's alarms: Namespace and MetricName)."""
    return [a for a in alarms().values() if (a.get("Namespace"), a.get("MetricName")) == (namespace, metric)]


def expression(alarm: dict[str, Any]) -> str:
    """The query whose series the alarm watches (the one query with ReturnData), its !Sub resolved to its text."""
    [returned] = [m for m in alarm["Metrics"] if m.get("ReturnData", True)]
    value = returned["Expression"]
    return str(value["Fn::Sub"] if isinstance(value, dict) else value)


def insights_alarm(metric: str) -> dict[str, Any]:
    [found] = [a for a in alarms().values() if "Metrics" in a and f"SUM({metric})" in expression(a)]
    return found


def emitted(name: str) -> bool:
    """Whether the layer counts `name` (observability.count) anywhere."""
    return any(f'count("{name}"' in path.read_text() for path in LAYER.rglob("*.py"))


def published(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, function: str, emit: Any
) -> dict[str, Any]:
    """The EMF document `emit` prints under `function`'s environment in the template (its service name, the
    namespace of Globals), as CloudWatch reads it from the function's log."""
    variables = template.load()["Globals"]["Function"]["Environment"]["Variables"]
    own = resources()[function]["Properties"]["Environment"]["Variables"]
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", variables["POWERTOOLS_METRICS_NAMESPACE"])
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", own["POWERTOOLS_SERVICE_NAME"])
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    capsys.readouterr()
    emit()
    [line] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    document: dict[str, Any] = line["_aws"]["CloudWatchMetrics"][0]
    return document


def dashboard() -> dict[str, Any]:
    """The dashboard's body, each ${...} of its !Sub left as the name it substitutes."""
    body = resources()["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    parsed: dict[str, Any] = json.loads(re.sub(r"\$\{([^}]+)\}", r"\1", body))
    return parsed


def dashboard_metrics() -> list[list[Any]]:
    return [m for w in dashboard()["widgets"] if w["type"] == "metric" for m in w["properties"]["metrics"]]


def dashboard_queries() -> list[str]:
    return [m[0]["expression"] for m in dashboard_metrics() if isinstance(m[0], dict)]


# ---- who hears of it ---------------------------------------------------------------------------------------------


def test_every_alarm_reaches_a_person_when_it_goes_off_and_when_it_is_over() -> None:
    assert len(alarms()) > 60
    for name, alarm in alarms().items():
        assert alarm["AlarmActions"] == TOPIC, name
        assert alarm["OKActions"] == TOPIC, name
        # A period without data (no traffic, nothing failed) is not an alarm.
        assert alarm["TreatMissingData"] == "notBreaching", name
        assert len(alarm["AlarmDescription"]) > 40, name


def test_the_alarm_email_is_subscribed_only_when_one_is_given() -> None:
    document = template.load()
    [(_, subscription)] = template.resources("AWS::SNS::Subscription")

    assert document["Parameters"]["AlarmEmail"]["Default"] == ""
    assert document["Conditions"]["HasAlarmEmail"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"] == {"TopicArn": TOPIC[0], "Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}
    assert "Subscription" not in resources()["AlarmTopic"]["Properties"]


def test_the_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use() -> None:
    # SNS's AWS managed key (alias/aws/sns) does not let CloudWatch encrypt: alarms would publish nothing.
    key = resources()["AlarmTopic"]["Properties"]["KmsMasterKeyId"]
    statements = resources()[key["Ref"]]["Properties"]["KeyPolicy"]["Statement"]
    [cloudwatch] = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]

    assert {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(cloudwatch["Action"])
    assert resources()[key["Ref"]]["Properties"]["EnableKeyRotation"] is True


# ---- what is watched ---------------------------------------------------------------------------------------------


def test_every_api_alarms_on_any_5xx_and_on_a_slow_p99() -> None:
    apis = of_type("AWS::Serverless::Api")
    assert {p["Name"] for p in apis.values()} == {
        f"paybridge-{name}" for name in ("caliq", "crm", "emersion", "billiecart", "paylock", "webhooks", "ops")
    }
    for name, api in apis.items():
        # REST APIs publish by name and stage, not by id: the alarm must name the API as its Name property does.
        wanted = {"ApiName": api["Name"], "Stage": api["StageName"]}
        [errors] = [a for a in watching("AWS/ApiGateway", "5XXError") if dimensions(a) == wanted]
        [latency] = [a for a in watching("AWS/ApiGateway", "Latency") if dimensions(a) == wanted]

        assert (errors["Statistic"], errors["Threshold"], errors["ComparisonOperator"]) == (
            "Sum",
            0,
            "GreaterThanThreshold",
        )
        assert latency["ExtendedStatistic"] == "p99"
        assert latency["EvaluationPeriods"] == latency["DatapointsToAlarm"] == 5
        assert latency["Period"] == 60
        assert latency["Threshold"] == (10000 if name == "OpsApi" else 3000), name


def test_every_function_alarms_on_any_error_and_any_throttle() -> None:
    functions = of_type("AWS::Serverless::Function")
    assert "OpsConsoleFunction" in functions
    for name in functions:
        for metric in ("Errors", "Throttles"):
            [alarm] = [a for a in watching("AWS/Lambda", metric) if dimensions(a) == {"FunctionName": {"Ref": name}}]
            assert (alarm["Statistic"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
                "Sum",
                0,
                "GreaterThanThreshold",
            ), (name, metric)


def dead_letter_queues() -> set[str]:
    """Every queue the template sends what failed to: queues' redrive targets, schedules' dead-letter queues and
    functions' failure destinations."""
    found = {
        q["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for q in of_type("AWS::SQS::Queue").values()
        if "RedrivePolicy" in q
    }
    for function in of_type("AWS::Serverless::Function").values():
        for event in function.get("Events", {}).values():
            if "DeadLetterConfig" in event["Properties"]:
                found.add(event["Properties"]["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0])
        failure = function.get("EventInvokeConfig", {}).get("DestinationConfig", {}).get("OnFailure")
        if failure:
            found.add(failure["Destination"]["Fn::GetAtt"][0])
    return found


def test_every_dead_letter_queue_alarms_on_its_first_message() -> None:
    queues = dead_letter_queues()

    assert queues == {"RetryDeadLetterQueue", "GatewayEventsDeadLetterQueue", "SettlementDeadLetterQueue"}
    for name in queues:
        wanted = {"QueueName": {"Fn::GetAtt": [name, "QueueName"]}}
        [alarm] = [a for a in watching("AWS/SQS", "ApproximateNumberOfMessagesVisible") if dimensions(a) == wanted]
        assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold"), name


def test_the_retry_queue_alarms_when_its_oldest_message_outlasts_any_wait() -> None:
    wanted = {"QueueName": {"Fn::GetAtt": ["RetryQueue", "QueueName"]}}
    [alarm] = [a for a in watching("AWS/SQS", "ApproximateAgeOfOldestMessage") if dimensions(a) == wanted]

    # No retry waits on the queue longer than SQS's longest delay (a longer backoff is sent again): older is stuck.
    assert alarm["Threshold"] > queue.MAX_DELAY_SECONDS
    assert alarm["Threshold"] <= 2 * queue.MAX_DELAY_SECONDS
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_the_table_alarms_on_throttle_events_of_the_table_and_of_every_index() -> None:
    # ThrottledRequests misses a BatchGetItem throttled in part; the events of the table and each index do not.
    table = resources()["LedgerTable"]["Properties"]
    indexes = [g["IndexName"] for g in table["GlobalSecondaryIndexes"]]
    [alarm] = [
        a
        for a in alarms().values()
        if any(
            m.get("MetricStat", {}).get("Metric", {}).get("MetricName") == "ReadThrottleEvents"
            for m in a.get("Metrics", [])
        )
    ]
    watched = set()
    for query in alarm["Metrics"]:
        if "MetricStat" not in query:
            continue
        metric = query["MetricStat"]["Metric"]
        assert metric["Namespace"] == "AWS/DynamoDB"
        assert dimensions(metric)["TableName"] == {"Ref": "LedgerTable"}
        watched.add((metric["MetricName"], dimensions(metric).get("GlobalSecondaryIndexName")))

    assert watched == {(m, index) for m in ("ReadThrottleEvents", "WriteThrottleEvents") for index in [None, *indexes]}
    assert "METRICS()" in expression(alarm)  # the sum of every one of them
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")


def test_the_table_alarms_on_system_errors_of_every_operation() -> None:
    # DynamoDB publishes SystemErrors by table and operation only: the query sums every operation of the table.
    query = expression(insights_alarm("SystemErrors"))
    found = INSIGHTS.fullmatch(query)

    assert found is not None, query
    assert found.group(2) == "AWS/DynamoDB"
    assert found.group(3) == ', "Operation", "TableName"'
    assert found.group(4).strip() == "WHERE TableName = '${LedgerTable}'"


# paybridge's own metrics with an alarm, a function that publishes each, and the threshold of its alarm.
BUSINESS = [
    ("SettlementFailures", "SettlementFunction", 0),
    ("CredentialsRefused", "CaliqMakePaymentFunction", 50),
    ("CredentialsRefused", "CrmLoginFunction", 50),
    ("LateChargesUnresolved", "RetryWorkerFunction", 0),
    ("LateChargesUnresolved", "OpsConsoleFunction", 0),
]


@pytest.mark.parametrize(("metric", "function", "threshold"), BUSINESS)
def test_a_business_alarm_sums_its_metric_over_the_dimensions_count_publishes_it_with(
    metric: str,
    function: str,
    threshold: int,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An alarm matches an exact dimension set. Powertools adds `service` (POWERTOOLS_SERVICE_NAME) to `provider`, so
    # each function publishes its own metric; the alarm's query takes every metric of that set, whichever function.
    alarm = insights_alarm(metric)
    found = INSIGHTS.fullmatch(expression(alarm))
    assert found is not None
    document = published(capsys, monkeypatch, function, lambda: observability.count(metric, "caliq"))

    assert emitted(metric)
    assert found.group(1) == metric
    assert found.group(2) == document["Namespace"]
    assert sorted(re.findall(r'"(\w+)"', found.group(3))) == sorted(document["Dimensions"][0])
    assert found.group(4) == ""  # no WHERE, no GROUP BY: one series over every provider and function
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (threshold, "GreaterThanThreshold")
    assert alarm["Metrics"][0]["Period"] == 300


# ---- the dashboard -----------------------------------------------------------------------------------------------


def test_the_dashboard_shows_every_alarm() -> None:
    [widget] = [w for w in dashboard()["widgets"] if w["type"] == "alarm"]

    assert sorted(widget["properties"]["alarms"]) == sorted(f"{name}.Arn" for name in alarms())
    assert resources()["Dashboard"]["Properties"]["DashboardName"] == {"Fn::Sub": "${AWS::StackName}"}


def test_the_dashboard_graphs_what_the_alarms_watch() -> None:
    graphed = {tuple(m[:4]) for m in dashboard_metrics() if isinstance(m[0], str)}
    for name in of_type("AWS::Serverless::Function"):
        assert ("AWS/Lambda", "Errors", "FunctionName", name) in graphed
        assert ("AWS/Lambda", "Throttles", "FunctionName", name) in graphed
    for api in of_type("AWS::Serverless::Api").values():
        assert ("AWS/ApiGateway", "5XXError", "ApiName", api["Name"]) in graphed
        assert ("AWS/ApiGateway", "Latency", "ApiName", api["Name"]) in graphed
    for name in (*dead_letter_queues(), "RetryQueue"):
        assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", f"{name}.QueueName") in graphed
    assert ("AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", "RetryQueue.QueueName") in graphed
    assert ("AWS/SQS", "NumberOfMessagesSent", "QueueName", "RetryQueue.QueueName") in graphed
    assert ("AWS/DynamoDB", "ReadThrottleEvents", "TableName", "LedgerTable") in graphed


def test_the_dashboard_graphs_payments_by_provider_per_hour() -> None:
    queries = dashboard_queries()
    for metric in ("PaymentsCreated", "PaymentsFailed", "PaymentsCancelled", "PaymentsReversed", "PaymentsSettled"):
        [query] = [q for q in queries if f"SUM({metric})" in q]
        assert query.endswith("GROUP BY provider"), query
        assert emitted(metric)
    for metric in ("SettlementFailures", "PaymentsParked", "LateChargesUnresolved", "CredentialsRefused"):
        assert any(f"SUM({metric})" in q for q in queries), metric
        assert emitted(metric)
    hourly = [w for w in dashboard()["widgets"] if "SUM(Payments" in json.dumps(w)]
    assert hourly and all(w["properties"]["period"] == 3600 for w in hourly)


@pytest.mark.parametrize(
    ("metric", "emit"),
    [
        ("PaymentsCreated", lambda: observability.count("PaymentsCreated", "paylock")),
        (
            "PaymentsCreatedAmount",
            lambda: observability.amount("PaymentsCreatedAmount", "paylock", "GBP", Decimal("1")),
        ),
        ("PaymentsSettled", lambda: observability.count("PaymentsSettled", "paylock", 98)),
        (
            "PaymentsSettledAmount",
            lambda: observability.amount("PaymentsSettledAmount", "paylock", "GBP", Decimal("980.00")),
        ),
    ],
)
def test_the_dashboards_queries_read_the_dimensions_the_metrics_are_published_with(
    metric: str, emit: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    document = published(capsys, monkeypatch, "PaylockCreatePaymentFunction", emit)
    [query] = [q for q in dashboard_queries() if f"SUM({metric})" in q]
    found = INSIGHTS.fullmatch(query)

    assert found is not None
    assert found.group(2) == document["Namespace"]
    assert sorted(re.findall(r'"(\w+)"', found.group(3))) == sorted(document["Dimensions"][0])


def test_an_amount_is_published_by_currency_as_the_decimal_it_is(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "paybridge")
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    capsys.readouterr()

    observability.amount("PaymentsCreatedAmount", "caliq", "GBP", Decimal("120.45"))

    [document] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert document["PaymentsCreatedAmount"] == [120.45]
    assert (document["provider"], document["currency"]) == ("caliq", "GBP")


# ---- what is kept ------------------------------------------------------------------------------------------------


def test_every_function_logs_json_to_a_group_of_its_own_kept_for_the_retention_parameter() -> None:
    document = template.load()
    globals_ = document["Globals"]["Function"]
    parameter = document["Parameters"]["LogRetentionDays"]
    groups = of_type("AWS::Logs::LogGroup")

    assert globals_["LoggingConfig"]["LogFormat"] == "JSON"
    # Powertools takes Lambda's level (AWS_LAMBDA_LOG_LEVEL) before its own: the two must say the same.
    assert (
        globals_["LoggingConfig"]["ApplicationLogLevel"] == globals_["Environment"]["Variables"]["POWERTOOLS_LOG_LEVEL"]
    )
    assert (parameter["Default"], parameter["AllowedValues"]) == (30, RETENTIONS)
    used = []
    for name, function in of_type("AWS::Serverless::Function").items():
        group = function["LoggingConfig"]["LogGroup"]["Ref"]
        used.append(group)
        assert groups[group]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
        assert groups[group]["LogGroupName"]["Fn::Sub"].startswith("/aws/lambda/${AWS::StackName}/"), name
    assert len(set(used)) == len(used)


def test_every_api_writes_an_access_log_without_a_credential_in_it() -> None:
    document = template.load()
    setting = document["Globals"]["Api"]["AccessLogSetting"]
    group = of_type("AWS::Logs::LogGroup")[setting["DestinationArn"]["Fn::GetAtt"][0]]
    fields = json.loads(setting["Format"])

    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert {"requestId", "ip", "method", "resource", "status", "latency", "operator"} <= set(fields)
    # Caliq's apiKey and CRM.COM's token travel in the query string: no path as sent, no query, no header.
    assert all(v.startswith("$context.") for v in fields.values())
    assert not any(v in ("$context.path", "$context.requestOverride") for v in fields.values())
    assert "$input" not in setting["Format"] and "$method" not in setting["Format"]
    for name, api in template.resources("AWS::Serverless::Api"):
        assert "AccessLogSetting" not in api["Properties"], name  # each one takes the Globals' setting
        # A stage with access logs is refused until the account has API Gateway's CloudWatch role.
        assert api["DependsOn"] == "ApiGatewayAccount", name


def test_the_account_role_api_gateway_logs_with_outlives_the_stack() -> None:
    account = resources()["ApiGatewayAccount"]
    role = resources()[account["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]]
    [trust] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]

    assert trust["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert role["Properties"]["ManagedPolicyArns"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"}
    ]
    # One setting per account and region: another stack's APIs may be using it.
    for resource in (account, role):
        assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("Retain", "Retain")


def test_every_queue_outlives_the_stack_and_the_ledger_cannot_be_deleted() -> None:
    queues = dict(template.resources("AWS::SQS::Queue"))

    assert len(queues) == 5
    for name, resource in queues.items():
        assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("Retain", "Retain"), name
    assert resources()["LedgerTable"]["Properties"]["DeletionProtectionEnabled"] is True


# ---- settlement --------------------------------------------------------------------------------------------------


def test_settlement_runs_one_at_a_time_and_a_run_that_did_not_happen_is_kept() -> None:
    settlement = resources()["SettlementFunction"]["Properties"]
    queue_arn = {"Fn::GetAtt": ["SettlementDeadLetterQueue", "Arn"]}
    [policy] = [
        p for p in of_type("AWS::SQS::QueuePolicy").values() if p["Queues"] == [{"Ref": "SettlementDeadLetterQueue"}]
    ]
    [statement] = policy["PolicyDocument"]["Statement"]

    assert settlement["ReservedConcurrentExecutions"] == 1
    assert settlement["EventInvokeConfig"]["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS",
        "Destination": queue_arn,
    }
    assert settlement["EventInvokeConfig"]["MaximumRetryAttempts"] == 2
    for name, event in settlement["Events"].items():
        props = event["Properties"]
        assert props["DeadLetterConfig"] == {"Arn": queue_arn}, name
        assert props["RetryPolicy"]["MaximumRetryAttempts"] > 0, name
        assert props["RetryPolicy"]["MaximumEventAgeInSeconds"] >= 900, name
    # A clearing run given up no later than the next one is due: that one does the same work.
    [clearing] = [
        e["Properties"] for e in settlement["Events"].values() if e["Properties"]["Schedule"].startswith("rate(")
    ]
    assert clearing["Schedule"] == "rate(15 minutes)"
    assert clearing["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 15 * 60
    # EventBridge may deliver there from these two rules (SAM names each <function><event>), and nothing else may.
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == [
        {"Fn::GetAtt": [f"SettlementFunction{name}", "Arn"]} for name in settlement["Events"]
    ]


# ---- the operator console ----------------------------------------------------------------------------------------


def test_operators_are_made_by_an_administrator_and_sign_in_for_short_lived_tokens() -> None:
    pool = resources()["OpsUserPool"]["Properties"]
    client = resources()["OpsUserPoolClient"]["Properties"]
    password = pool["Policies"]["PasswordPolicy"]

    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["AccountRecoverySetting"]["RecoveryMechanisms"] == [{"Name": "admin_only", "Priority": 1}]
    assert password["MinimumLength"] >= 12
    assert all(password[k] for k in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols"))
    assert client["UserPoolId"] == {"Ref": "OpsUserPool"}
    assert client["GenerateSecret"] is False  # a page holds no secret
    assert sorted(client["ExplicitAuthFlows"]) == ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH"]
    assert client["TokenValidityUnits"]["IdToken"] == client["TokenValidityUnits"]["AccessToken"] == "minutes"
    assert client["IdTokenValidity"] <= 60 and client["AccessTokenValidity"] <= 60


def test_the_console_api_is_behind_the_operator_pool_and_its_page_is_not() -> None:
    api = resources()["OpsApi"]["Properties"]
    function = resources()["OpsConsoleFunction"]["Properties"]
    routes = {
        (e["Properties"]["Method"], e["Properties"]["Path"]): e["Properties"].get("Auth", {}).get("Authorizer")
        for e in function["Events"].values()
        if e["Properties"]["RestApiId"] == {"Ref": "OpsApi"}
    }

    assert api["Auth"]["DefaultAuthorizer"] == "OperatorPool"
    assert api["Auth"]["Authorizers"]["OperatorPool"] == {
        "UserPoolArn": {"Fn::GetAtt": ["OpsUserPool", "Arn"]},
        "Identity": {"Header": "Authorization"},
    }
    assert routes == {("get", "/"): "NONE", ("get", "/{asset}"): "NONE", ("any", "/api/{proxy+}"): None}


def test_the_console_function_finds_the_pool_the_queues_and_the_aba_files() -> None:
    function = resources()["OpsConsoleFunction"]["Properties"]
    variables = function["Environment"]["Variables"]
    settlement = resources()["SettlementFunction"]["Properties"]["Environment"]["Variables"]

    assert (function["CodeUri"], function["Handler"], function["Timeout"]) == (
        "functions/ops_console/",
        "app.handler",
        29,
    )
    assert variables["POWERTOOLS_SERVICE_NAME"] == "ops_console"
    assert variables["OPS_USER_POOL_ID"] == {"Ref": "OpsUserPool"}
    assert variables["OPS_USER_POOL_CLIENT_ID"] == {"Ref": "OpsUserPoolClient"}
    assert variables["GATEWAY_EVENTS_DLQ_URL"] == {"Ref": "GatewayEventsDeadLetterQueue"}
    assert variables["BILLIECART_ABA_BUCKET"] == settlement["BILLIECART_ABA_BUCKET"]
    for name in ("OPS_USER_POOL_CLIENT_ID", "GATEWAY_EVENTS_DLQ_URL", "BILLIECART_ABA_BUCKET"):
        assert name.lower() in config.Settings.model_fields, name  # the typed environment reads it


def test_the_console_may_do_what_a_retry_and_a_redrive_need_and_no_more() -> None:
    [statements] = [
        p["Statement"] for p in resources()["OpsConsoleFunction"]["Properties"]["Policies"] if "Statement" in p
    ]
    granted: dict[str, set[str]] = {}
    for statement in statements:
        targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for action in statement["Action"]:
            granted.setdefault(action, set()).update(json.dumps(t, sort_keys=True) for t in targets)
    table = json.dumps({"Fn::GetAtt": ["LedgerTable", "Arn"]}, sort_keys=True)
    queues = {
        json.dumps({"Fn::GetAtt": [q, "Arn"]}, sort_keys=True)
        for q in ("RetryQueue", "RetryDeadLetterQueue", "GatewayEventsQueue", "GatewayEventsDeadLetterQueue")
    }

    writes = (
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:ConditionCheckItem",
    )
    for action in writes:
        assert granted[action] == {table}, action
    assert granted["dynamodb:Query"] == {table, json.dumps({"Fn::Sub": "${LedgerTable.Arn}/index/*"})}
    for action in (
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:SendMessage",
        "sqs:DeleteMessage",
    ):
        assert granted[action] == queues, action
    assert granted["s3:GetObject"] == {json.dumps({"Fn::Sub": "${BilliecartAbaBucket.Arn}/*"})}
    assert granted["s3:ListBucket"] == {json.dumps({"Fn::GetAtt": ["BilliecartAbaBucket", "Arn"]}, sort_keys=True)}
    assert set(granted) == {*writes, "dynamodb:Query", "s3:GetObject", "s3:ListBucket"} | {
        a for a in granted if a.startswith("sqs:")
    }
    assert len([a for a in granted if a.startswith("sqs:")]) == 5  # no purge, no queue deleted


def test_the_outputs_the_operators_tools_read_are_there() -> None:
    outputs = template.load()["Outputs"]

    assert set(stack.OUTPUTS) <= set(outputs)
    assert outputs["OpsConsoleUrl"]["Value"] == {
        "Fn::Sub": "https://${OpsApi}.execute-api.${AWS::Region}.amazonaws.com/live/"
    }
    for name, value in {
        "OpsUserPoolId": {"Ref": "OpsUserPool"},
        "OpsUserPoolClientId": {"Ref": "OpsUserPoolClient"},
        "RetryQueueUrl": {"Ref": "RetryQueue"},
        "RetryDeadLetterQueueUrl": {"Ref": "RetryDeadLetterQueue"},
        "GatewayEventsQueueUrl": {"Ref": "GatewayEventsQueue"},
        "GatewayEventsDeadLetterQueueUrl": {"Ref": "GatewayEventsDeadLetterQueue"},
        "BilliecartAbaBucketName": {"Ref": "BilliecartAbaBucket"},
        "AlarmTopicArn": {"Ref": "AlarmTopic"},
        "DashboardName": {"Ref": "Dashboard"},
    }.items():
        assert outputs[name]["Value"] == value, name
