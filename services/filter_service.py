"""FilterService: a reader's keyword filters (feed/actions/quiet.py), served by the write service."""

from __future__ import annotations

from google.protobuf import empty_pb2

from feed.actions.quiet import QuietActions
from feed.store.quiet import KeywordFilter
from feed.v1 import filter_service_pb2, filter_service_pb2_grpc
from services.auth import current_principal
from services.edge import rpc


def filter_to_proto(f: KeywordFilter) -> filter_service_pb2.Filter:
    msg = filter_service_pb2.Filter(filter_id=f.filter_id, phrase=f.phrase, whole_word=f.whole_word)
    if f.expire_ms is not None:
        msg.expire_time.FromMilliseconds(f.expire_ms)
    return msg


class FilterServicer(filter_service_pb2_grpc.FilterServiceServicer):
    """Creates, deletes and lists the caller's keyword filters."""

    def __init__(self, quiet: QuietActions) -> None:
        self._quiet = quiet

    @rpc
    def CreateFilter(self, request, context) -> filter_service_pb2.Filter:
        caller = current_principal()
        created = self._quiet.create_filter(
            caller, request.user_id, request.phrase, request.whole_word, request.duration_s
        )
        return filter_to_proto(created)

    @rpc
    def DeleteFilter(self, request, context) -> empty_pb2.Empty:
        self._quiet.delete_filter(current_principal(), request.user_id, request.filter_id)
        return empty_pb2.Empty()

    @rpc
    def ListFilters(self, request, context) -> filter_service_pb2.ListFiltersResponse:
        filters = self._quiet.list_filters(current_principal(), request.user_id)
        return filter_service_pb2.ListFiltersResponse(filters=[filter_to_proto(f) for f in filters])
