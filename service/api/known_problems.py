"""GET /known-problems: the table of known field failures in force (runtimes.md)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from service.api.runtime_schemas import KnownProblemsSchema
from service.compat import known_problems

blp = Blueprint(
    "known_problems", __name__, description="Known field failures that outrank the table"
)


@blp.route("/known-problems")
class KnownProblems(MethodView):
    @blp.response(200, KnownProblemsSchema)
    def get(self):
        """The known problems in force: the shipped table and the operator's file over it"""
        table = known_problems.in_force()
        return {
            "known_problems": [p.as_data() for p in table.entries],
            "override": table.override is not None,
        }
