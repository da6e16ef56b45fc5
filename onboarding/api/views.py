"""API viewsets. Every fetch goes through `visible_to(user)`; every write through a form and a service."""

from __future__ import annotations

from django.db.models import Prefetch
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.serializers import IntegerField
from rest_framework.views import APIView

from ..filters import MAX_ID, ExporterFilter, IdFilter, StageCodeFilter, StrictBooleanFilter, parse_id
from ..forms.exporters import ExporterForm
from ..forms.progress import ActivityForm, ApproveForm, RejectForm, StageEvidenceForm, UndoForm
from ..forms.startups import StartupForm
from ..models import Activity, Assignment, Commission, Exporter, Sector, Stage, StageEvent, Startup
from ..models.activities import ActivityKind
from ..models.commissions import CommissionStatus
from ..models.stages import DocumentKind, EvidenceField, StageEventStatus
from ..pagination import EstimatingPaginator
from ..services.exporters import exporter_create, exporter_update
from ..services.progress import (
    activity_log,
    stage_event_approve,
    stage_event_reject,
    stage_event_submit,
    stage_event_undo,
)
from ..services.startups import startup_create, startup_update
from . import serializers as s
from .binding import bind
from .permissions import AdminWrites, HasRole, StaffWrites
from .schema import body_for

# Stage-agnostic description of the evidence body: which fields and documents (`document_<kind>`,
# multipart) a stage requires is in /stages/.
EVIDENCE_BODY = body_for(
    StageEvidenceForm,
    "StageEvidenceRequest",
    optional=True,
    extra={"exporter": IntegerField(min_value=1, max_value=MAX_ID, help_text="The exporter claimed for")},
    stage=Stage(code="any", evidence_fields=list(EvidenceField), documents=list(DocumentKind)),
)


class LogPagination(PageNumberPagination):
    """For the append-only logs (millions of rows): the work log page's estimated count when unfiltered."""

    django_paginator_class = EstimatingPaginator


class ScopedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """List and retrieve from a scoped queryset; subclasses add writes that call a service."""

    permission_classes = [HasRole]

    def get_object(self):
        # An id past the column's range (or "abc", 0) is no object: a 404 before any query.
        if parse_id(self.kwargs.get(self.lookup_field)) is None:
            raise NotFound()
        return super().get_object()

    def respond(self, obj, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(obj).data, status=status_code)


@extend_schema_view(
    create=extend_schema(request=body_for(StartupForm, "StartupRequest"), responses={201: s.StartupSerializer}),
    update=extend_schema(request=body_for(StartupForm, "StartupRequest"), responses=s.StartupSerializer),
    partial_update=extend_schema(request=body_for(StartupForm, "StartupRequest"), responses=s.StartupSerializer),
)
class StartupViewSet(ScopedViewSet, mixins.CreateModelMixin, mixins.UpdateModelMixin):
    """Startups: staff see all, a member their own. Admins register and edit them."""

    serializer_class = s.StartupSerializer
    permission_classes = [HasRole, AdminWrites]

    def get_queryset(self):
        return (
            Startup.objects.visible_to(self.request.user)
            .with_load()
            .prefetch_related(Prefetch("sectors", queryset=Sector.objects.only("pk", "code")))
            .order_by("legal_name", "pk")
        )

    def create(self, request, *args, **kwargs):
        form = bind(StartupForm, request)
        startup = startup_create(actor=request.user, data=dict(form.cleaned_data))
        return self.respond(self.get_queryset().get(pk=startup.pk), status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        startup = self.get_object()
        form = bind(StartupForm, request, instance=startup, partial=kwargs.get("partial", False))
        startup_update(actor=request.user, startup=startup, data=dict(form.cleaned_data))
        return self.respond(self.get_queryset().get(pk=startup.pk))


class ExporterApiFilter(ExporterFilter):
    """The staff page's filters; `stage` takes a stage code, `startup` and `sector` an id;
    a yes/no filter takes true or false only (the page's select sends nothing else)."""

    stage = StageCodeFilter(field_name="current_stage__code")
    # By id, as the API's other filters: an unknown id matches nothing (the list is the user's own).
    startup = IdFilter(field_name="startup_id")
    sector = IdFilter(field_name="sector_id")
    # The page's "whose" filters need the signed-in member (`user`), which the API's filter set is
    # not given: they were never applied here, so they are not offered (nor published) either.
    agent = None
    mine = None
    unassigned = StrictBooleanFilter(field_name="startup", lookup_expr="isnull")
    stalled = StrictBooleanFilter(method="filter_stalled")
    late = StrictBooleanFilter(method="filter_late")
    startup_pair_rule = False  # `startup` and `startup_name` both apply, as they always have here


@extend_schema_view(
    create=extend_schema(request=body_for(ExporterForm, "ExporterRequest"), responses={201: s.ExporterSerializer}),
    update=extend_schema(request=body_for(ExporterForm, "ExporterRequest"), responses=s.ExporterSerializer),
    partial_update=extend_schema(request=body_for(ExporterForm, "ExporterRequest"), responses=s.ExporterSerializer),
)
class ExporterViewSet(ScopedViewSet, mixins.CreateModelMixin, mixins.UpdateModelMixin):
    """Exporters: staff see all, a startup its assigned ones. Staff register and edit them (ExporterForm)."""

    serializer_class = s.ExporterSerializer
    permission_classes = [HasRole, StaffWrites]
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = ExporterApiFilter

    def get_queryset(self):
        return Exporter.objects.visible_to(self.request.user).select_related(
            "current_stage", "startup", "sector", "agent"
        )

    def create(self, request, *args, **kwargs):
        form = bind(ExporterForm, request)
        exporter = exporter_create(actor=request.user, data=dict(form.cleaned_data))
        return self.respond(self.get_queryset().get(pk=exporter.pk), status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        exporter = self.get_object()
        form = bind(ExporterForm, request, instance=exporter, partial=kwargs.get("partial", False))
        exporter_update(actor=request.user, exporter=exporter, data=dict(form.cleaned_data))
        return self.respond(self.get_queryset().get(pk=exporter.pk))


class ExporterIdFilterSet(filters.FilterSet):
    """Filter by exporter id as a plain number: another startup's id matches nothing, like an unknown one;
    junk ("abc", "²", 0, a number past the database's range) is a 400 naming the parameter."""

    exporter = IdFilter(field_name="exporter_id")


class AssignmentFilter(ExporterIdFilterSet):
    startup = IdFilter(field_name="startup_id")


class StageEventFilter(ExporterIdFilterSet):
    status = filters.ChoiceFilter(choices=StageEventStatus.choices)
    stage = StageCodeFilter(field_name="stage__code")


class ActivityApiFilter(ExporterIdFilterSet):
    kind = filters.ChoiceFilter(choices=ActivityKind.choices)


class CommissionFilter(ExporterIdFilterSet):
    status = filters.ChoiceFilter(choices=CommissionStatus.choices)
    startup = IdFilter(field_name="startup_id")


class AssignmentViewSet(ScopedViewSet):
    """Assignment history, newest first: staff see all, a startup its own (open and ended)."""

    serializer_class = s.AssignmentSerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = AssignmentFilter

    def get_queryset(self):
        related = ("exporter", "startup", "agent", "assigned_by")
        return Assignment.objects.visible_to(self.request.user).select_related(*related)


class StageViewSet(ScopedViewSet):
    """The stages of the listing path, in order, with the evidence each requires."""

    serializer_class = s.StageSerializer
    pagination_class = None
    queryset = Stage.objects.ordered()


def _visible_exporter(request, name: str = "exporter") -> Exporter:
    """The body's exporter id, if visible to the user; otherwise the same 400 as an unknown id."""
    value = request.data.get(name) if hasattr(request.data, "get") else None
    if value in (None, ""):
        raise ValidationError({name: ["This field is required."]})
    try:
        return Exporter.objects.visible_to(request.user).select_related("current_stage").get(pk=parse_id(value))
    except Exporter.DoesNotExist:
        raise ValidationError({name: ["Select an exporter you can see (unknown id)."]}) from None


@extend_schema_view(
    create=extend_schema(request=EVIDENCE_BODY, responses={201: s.StageEventSerializer}),
)
class StageEventViewSet(ScopedViewSet, mixins.CreateModelMixin):
    """Milestone evidence: submit for an exporter's next stage; staff approve or reject it."""

    serializer_class = s.StageEventSerializer
    pagination_class = LogPagination
    permission_classes = [HasRole, StaffWrites]
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = StageEventFilter

    def get_permissions(self):
        if self.action == "create":
            return [HasRole()]  # any member may submit; the service checks it is their exporter
        return super().get_permissions()

    def get_queryset(self):
        return StageEvent.objects.visible_to(self.request.user).select_related(
            "exporter", "startup", "stage", "submitted_by", "reviewed_by"
        )

    def create(self, request, *args, **kwargs):
        exporter = _visible_exporter(request)
        stage = exporter.next_stage(list(Stage.objects.ordered()))
        if stage is None:
            raise ValidationError({"exporter": [f"{exporter} has reached the last stage."]})
        form = bind(StageEvidenceForm, request, stage=stage, extra=("exporter",))
        event = stage_event_submit(
            actor=request.user,
            exporter=exporter,
            stage=stage,
            evidence=form.evidence(),
            documents=form.more_documents(),
            checklist=form.checklist(),
        )
        return self.respond(self.get_queryset().get(pk=event.pk), status.HTTP_201_CREATED)

    def _review(self, request, decide) -> Response:
        event = self.get_object()
        # A decided claim is refused by the service (a conflict: 409 from the exception handler).
        form = bind(RejectForm, request)
        decide(actor=request.user, event=event, note=form.cleaned_data["note"])
        return self.respond(self.get_queryset().get(pk=event.pk))

    @extend_schema(request=body_for(ApproveForm, "ApproveRequest"), responses=s.StageEventSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve: advances the exporter's stage and accrues any commission (staff only).
        "Contacted" before the exporter confirmed the contact needs `unconfirmed_reason`."""
        event = self.get_object()
        form = bind(ApproveForm, request)
        stage_event_approve(actor=request.user, event=event, **form.cleaned_data)
        return self.respond(self.get_queryset().get(pk=event.pk))

    @extend_schema(request=body_for(RejectForm, "RejectRequest"), responses=s.StageEventSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject with a note the startup sees (staff only; the note is required)."""
        return self._review(request, stage_event_reject)

    @extend_schema(request=body_for(UndoForm, "UndoRequest"), responses=s.StageEventSerializer)
    @action(detail=True, methods=["post"])
    def undo(self, request, pk=None):
        """Take back your own approval or rejection within ten minutes: the claim waits again,
        an approval's stage and commission are put back, and the startup is never told of it.
        Someone else's decision: 403; too late: 409."""
        event = self.get_object()
        bind(UndoForm, request)
        stage_event_undo(actor=request.user, event=event)
        return self.respond(self.get_queryset().get(pk=event.pk))


@extend_schema_view(
    create=extend_schema(
        request=body_for(ActivityForm, "ActivityRequest", exporter_choices=Exporter.objects.none()),
        responses={201: s.ActivitySerializer},
    ),
)
class ActivityViewSet(ScopedViewSet, mixins.CreateModelMixin):
    """The work log: staff see all, a startup its own. Log work on an exporter you can see."""

    serializer_class = s.ActivitySerializer
    pagination_class = LogPagination
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = ActivityApiFilter

    def get_queryset(self):
        return Activity.objects.visible_to(self.request.user).for_list()

    def create(self, request, *args, **kwargs):
        exporters = Exporter.objects.visible_to(request.user)
        form = bind(ActivityForm, request, exporter_choices=exporters)
        data = dict(form.cleaned_data)
        activity = activity_log(actor=request.user, exporter=data.pop("exporter"), **data)
        return self.respond(self.get_queryset().get(pk=activity.pk), status.HTTP_201_CREATED)


class CommissionViewSet(ScopedViewSet):
    """The commission ledger: staff see all, a startup its own entries."""

    serializer_class = s.CommissionSerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = CommissionFilter

    def get_queryset(self):
        return Commission.objects.visible_to(self.request.user).for_list()


class NotFoundView(APIView):
    """The API's answer to a path it does not have (the schema leaves it out)."""

    permission_classes = []
    schema = None

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise NotFound()


not_found = NotFoundView.as_view(http_method_names=[])
