"""`patch_orders` with a fraud check added safely: under workflow.patched("fraud-check"),
so runs recorded by v1 past the approval keep shipping without it on replay."""
import worker_sdk as workflows

try:
    from support.patch_order_steps import charge, check_fraud, ship
except ImportError:  # a worker process, run with cwd=tests/support
    from patch_order_steps import charge, check_fraud, ship


@workflows.workflow.define(name="patch_orders")
class OrderWorkflow:
    def __init__(self) -> None:
        self.approved = False
        self.fraud_check = False
        self.steps: list[str] = []

    @workflows.workflow.signal
    def approve(self) -> None:
        self.approved = True

    @workflows.workflow.query(name="status")
    def status(self) -> dict:
        return {"steps": self.steps, "fraud_check": self.fraud_check}

    @workflows.workflow.entrypoint
    async def run(self, order: str) -> list[str]:
        self.steps.append(await charge(order))
        await workflows.workflow.wait_condition(lambda: self.approved)
        if workflows.workflow.patched("fraud-check"):
            self.fraud_check = True
            self.steps.append(await check_fraud(order))
        self.steps.append(await ship(order))
        return self.steps
