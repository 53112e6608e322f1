from typing import Any, Mapping, Optional

__version__: str
__all__ = [
    "evaluate",
    "certify",
    "verify",
    "catalog",
    "parse_json",
    "attribution_model",
    "report_files",
    "dataset_files",
    "error_codes",
    "attribute_table",
    "reading_columns",
    "records_from_table",
    "attribution_state",
    "attribution_finish",
    "partial_state_table",
    "combine_states",
    "__version__",
]

def evaluate(kpi_id: str, input: Any, params: Optional[Mapping[str, Any]] = None) -> Any: ...
def certify(kpi_id: str, input: Any, params: Optional[Mapping[str, Any]] = None) -> tuple[Any, dict[str, Any]]: ...
def verify(certificate: Mapping[str, Any], input: Any) -> dict[str, Any]: ...
def catalog(lang: Optional[str] = None) -> list[dict[str, Any]]: ...
def parse_json(text: str, what: Optional[str] = None) -> Any: ...
def attribution_model(name: object) -> tuple[str, str]: ...
def report_files(files: Mapping[str, str]) -> dict[str, Any]: ...
def dataset_files() -> list[str]: ...
def error_codes() -> list[tuple[str, str]]: ...
def reading_columns(reading: Mapping[str, Any]) -> list[str]: ...
def attribute_table(
    models: list[str],
    table: Any,
    channels: Any,
    currency: str,
    reading: Optional[Mapping[str, Any]] = None,
    params: Optional[Mapping[str, Any]] = None,
    lookback_seconds: Optional[int] = None,
    rows: Optional[int] = None,
) -> tuple[list[dict[str, Any]], tuple[int, int]]: ...
def records_from_table(table: Any, name: str) -> list[dict[str, Any]]: ...
def attribution_state(
    models: list[str],
    table: Any,
    channels: Any,
    currency: str,
    reading: Optional[Mapping[str, Any]] = None,
    params: Optional[Mapping[str, Any]] = None,
    lookback_seconds: Optional[int] = None,
) -> str: ...
def attribution_finish(
    models: list[str],
    states: list[str],
    channels: Any,
    currency: str,
    params: Optional[Mapping[str, Any]] = None,
    lookback_seconds: Optional[int] = None,
) -> list[dict[str, Any]]: ...
def partial_state_table(
    kpi: str,
    table: Any,
    key: str,
    context: Mapping[str, Any],
    params: Optional[Mapping[str, Any]] = None,
) -> str: ...
def combine_states(kpi: str, states: list[str], params: Optional[Mapping[str, Any]] = None) -> dict[str, Any]: ...
