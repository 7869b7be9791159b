"""`fanflow workflow list|count` (search keys): runs by their filters, newest first, or counts.

    fanflow workflow list [--type T] [--status S] [--since T] [--until T] [--prefix P]
                          [--display-name N] [--search KEY=VALUE ...] [--limit N]
    fanflow workflow count [the same filters] [--by status|workflow_type]

A filter that cannot be understood exits 2 naming it (nothing is sent)."""
from __future__ import annotations

import sys

from fanflow.cli_output import status_name


async def workflow_listing(client, args) -> int:
    from worker_sdk.listing import parse_search_key

    try:
        search = dict(parse_search_key(text) for text in args.search)
        filters = dict(status=args.status, workflow_type=args.type, since=args.since, until=args.until,
                       workflow_id_prefix=args.prefix, display_name=args.display_name, search_keys=search or None)
        if args.action == "count":
            counted = await client.count_workflows(group_by=args.by, **filters)
        else:
            runs = await client.list_workflows(page_size=min(args.limit or 100, 1000), limit=args.limit, **filters)
    except (ValueError, TypeError) as exc:
        print(f"fanflow workflow {args.action}: {exc}", file=sys.stderr)
        return 2
    if args.action == "count":
        for value, count in counted.groups.items():
            print(f"{value}  {count}")
        print(f"total  {counted.count}" if args.by else counted.count)
        return 0
    for info in runs:
        keys = "  ".join(f"{k.key}={'(unset)' if k.unset else k.value}" for k in info.search_keys)
        print(f"{info.execution.workflow_id}  {info.execution.run_id}  {info.type.name}  {status_name(info.status)}  "
              f"started={info.start_time.ToJsonString()}  events={info.history_length}  shard={info.shard_id}" + (f"  {keys}" if keys else ""))
    return 0


def add_listing_arguments(wf) -> None:
    """The filters of list and count, on the `fanflow workflow` parser."""
    wf.add_argument("--status", default=None, help="list/count: running, completed, failed, terminated, continued_as_new, timed_out or canceled")
    wf.add_argument("--since", default=None, help="list/count: started at or after (ISO 8601, or a duration ago: 30m, 2h, 7d)")
    wf.add_argument("--until", default=None, help="list/count: started before (ISO 8601, or a duration ago)")
    wf.add_argument("--prefix", default=None, help="list/count: workflow ids starting with this")
    wf.add_argument("--display-name", default=None, help="list/count: the definition's workflow_display_name")
    wf.add_argument("--search", action="append", default=[], help="list/count: KEY=VALUE, a search key's value (repeat: all must hold)")
    wf.add_argument("--by", choices=["status", "workflow_type"], default=None, help="count: per status or per workflow type")
    wf.add_argument("--limit", type=int, default=None, help="list: at most this many runs (newest first)")
