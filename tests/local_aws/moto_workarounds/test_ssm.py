"""Raw moto (no endpoint, no patch) still has the bug each workaround of
:mod:`portal_local.aws.moto_workarounds.ssm` exists for."""

from __future__ import annotations

from typing import Any


def test_raw_moto_parameter_writer_not_recorded(aws: Any) -> None:
    ssm = aws("ssm")
    ssm.put_parameter(Name="/raw/doc", Value="{}", Type="String")
    history = ssm.get_parameter_history(Name="/raw/doc")["Parameters"]
    assert history[0]["LastModifiedUser"] == "N/A"  # AWS: the writer's ARN
