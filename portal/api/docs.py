"""The API's browsable docs, /api/v1/docs: a page of our own read from the OpenAPI description (the
Swagger UI and ReDoc pages load scripts from CDNs and run inline code, which the portal's CSP forbids)."""

from flask import Blueprint, current_app, render_template

bp = Blueprint("api_docs", __name__)
METHODS = ("get", "post", "put", "patch", "delete")


def schema_name(schema: dict | None) -> str:
    """A schema as a reader names it: its component's name, or "array of X", or its type."""
    if not schema:
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"array of {schema_name(schema.get('items'))}"
    return schema.get("type", "object")


def token_need(security: list) -> str:
    """Whether a token is "required", "optional" (an empty requirement is one of the choices) or "none"."""
    if not security:
        return "none"
    return "optional" if {} in security else "required"


def _body_schema(content: dict | None) -> str:
    return schema_name((content or {}).get("application/json", {}).get("schema"))


def operations(spec: dict) -> list[dict]:
    """Every operation, in path order, with what a reader needs: parameters, body and answers."""
    found = []
    for path, item in sorted(spec.get("paths", {}).items()):
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            responses = []
            for status, response in sorted(op.get("responses", {}).items()):
                if "$ref" in response:
                    response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
                responses.append(
                    {
                        "status": status,
                        "description": response.get("description", ""),
                        "schema": _body_schema(response.get("content")),
                    }
                )
            found.append(
                {
                    "id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "token": token_need(op.get("security", [])),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "type": schema_name(p.get("schema")),
                            "description": p.get("description", ""),
                        }
                        for p in op.get("parameters", []) + item.get("parameters", [])
                    ],
                    "body": _body_schema(op.get("requestBody", {}).get("content")),
                    "responses": responses,
                }
            )
    return found


def components(spec: dict) -> list[dict]:
    """The schemas the operations name, each with its fields."""
    return [
        {
            "name": name,
            "fields": [
                {"name": field, "type": schema_name(prop), "required": field in schema.get("required", [])}
                for field, prop in schema.get("properties", {}).items()
            ],
        }
        for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items())
    ]


@bp.route("/docs")
def docs():
    spec = current_app.extensions["portal_api"].spec.to_dict()
    return render_template(
        "api/docs.html", info=spec.get("info", {}), operations=operations(spec), schemas=components(spec)
    )
