"""One router per resource; each is thin: parse, call a service, return a response model."""

from __future__ import annotations

from fastapi import APIRouter

from service.routes import ask, documents, health, jobs, pages

ROUTERS: tuple[APIRouter, ...] = (
    ask.router,
    documents.router,
    jobs.router,
    health.router,
    pages.router,
)
