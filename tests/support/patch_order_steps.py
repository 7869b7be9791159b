"""The activities of the `patch_orders` workflow, shared by its four versions
(patch_orders_v1 ... patch_orders_v4): the same activities, four deploys of the workflow code."""
import worker_sdk as workflows


@workflows.activity(name="patch_charge", start_to_close_timeout=10)
async def charge(order: str) -> str:
    return f"charged {order}"


@workflows.activity(name="patch_check_fraud", start_to_close_timeout=10)
async def check_fraud(order: str) -> str:
    return f"fraud-checked {order}"


@workflows.activity(name="patch_ship", start_to_close_timeout=10)
async def ship(order: str) -> str:
    return f"shipped {order}"
