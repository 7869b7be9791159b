"""`patch_orders` as first deployed: charge, wait for approval, ship. Later versions add a
fraud check after the approval (v2 under workflow.patched, v3 with deprecate_patch, v4 plain).
Imported by `fanflow worker patch_orders_v1` and by the tests; each version module
re-registers the same workflow name, so tests hand the class they mean to their Worker."""
import worker_sdk as workflows

try:
    from support.patch_order_steps import charge, ship
except ImportError:  # a worker process, run with cwd=tests/support
    from patch_order_steps import charge, ship


@workflows.workflow.define(name="patch_orders")
class OrderWorkflow:
    def __init__(self) -> None:
        self.approved = False
        self.steps: list[str] = []

    @workflows.workflow.signal
    def approve(self) -> None:
        self.approved = True

    @workflows.workflow.query(name="status")
    def status(self) -> dict:
        return {"steps": self.steps, "fraud_check": False}

    @workflows.workflow.entrypoint
    async def run(self, order: str) -> list[str]:
        self.steps.append(await charge(order))
        await workflows.workflow.wait_condition(lambda: self.approved)
        self.steps.append(await ship(order))
        return self.steps
