"""The Chalice application: wiring only (blueprints, middleware, authorizer). No client is made here."""

from __future__ import annotations

from chalice.app import Chalice

from chalicelib.core.authorizer import auth_blueprint
from chalicelib.core.middleware import register_middleware
from chalicelib.slices import blueprints

app = Chalice(app_name="ningxiang-governance")
app.register_blueprint(auth_blueprint)
for slice_api in blueprints():
    app.register_blueprint(slice_api.blueprint)
register_middleware(app)
