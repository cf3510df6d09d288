"""What an import answers: how many rows went in, what each created, and each failed row's problems."""

from pydantic import BaseModel, Field


class RowCreated(BaseModel):
    row: int = Field(description="The row's number in the spreadsheet (header = row 1)")
    id: str
    name: str | None = Field(default=None, description="The organisation's name, a posting's title or name")
    org_id: str | None = Field(default=None, description="Postings: the organisation it was imported for")
    api_key: str | None = Field(default=None, description="Organisations: their first API key (role member). "
                                "Shown once, here only: hand it to the organisation now.")


class RowError(BaseModel):
    row: int = Field(description="The row's number in the spreadsheet (header = row 1)")
    field: str = Field(description="The field path, e.g. `trl_max` or `qualifications[0].certificate_no`")
    column: str | None = Field(default=None, description="The column's heading as written in the sheet")
    message: str = Field(description="What is wrong, in plain words")


class ImportReport(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{
        "kind": "needs", "imported": 1, "failed": 1,
        "created": [{"row": 2, "id": "need_66a1f0c2e4b0a1b2c3d4e5f6", "name": "耐高温水稻育种",
                     "org_id": "org_66a1f0c2e4b0a1b2c3d4e5f0"}],
        "errors": [{"row": 3, "field": "trl_max", "column": "技术成熟度上限", "message": "must be at most 9"}]}]}}

    kind: str = Field(description="orgs, needs, results, products or experts: as sent or as read from the header")
    imported: int = Field(description="Rows imported")
    failed: int = Field(description="Rows not imported (each listed in `errors`, possibly more than once)")
    created: list[RowCreated]
    errors: list[RowError]
