"""The seed system's documented search-key snippets with only the import changed
(`import worker_sdk as workflows`), and workflows built on them for the tests. Imported by the
tests and by worker processes (`fanflow worker seed_search_key_snippets`, cwd tests/support)."""
import worker_sdk as workflows
from pydantic import BaseModel

# ------------------------------------------------------------------ docs: Search keys, indexing fields from the input


class OrderInput(BaseModel):
    order_id: str
    customer_tier: str


@workflows.workflow.define(
    name="order_processor",
    search_keys=["order_id", "customer_tier"],
)
class OrderProcessor:
    @workflows.workflow.entrypoint
    async def run(self, params: OrderInput) -> str:
        return f"Processed {params.order_id}"


# ------------------------------------------------------------------ docs: add_search_keys / delete_search_keys
# (the examples of the seed's docstrings: a value known only mid-run, then freeing its slot)


class Customer(BaseModel):
    id: str
    tier: str


class CustomerRef(BaseModel):
    id: str


@workflows.activity()
async def fetch_customer(customer_id: str) -> Customer:
    return Customer(id=customer_id, tier="gold" if customer_id.startswith("vip") else "standard")


@workflows.workflow.define(name="seed_sk_customer_tiering", search_keys=["id"], workflow_display_name="Customer tiering")
class CustomerTiering:
    def __init__(self) -> None:
        self.released = False

    @workflows.workflow.signal(name="release")
    def release(self) -> None:
        self.released = True

    @workflows.workflow.entrypoint
    async def run(self, payload: CustomerRef) -> str:
        customer = await fetch_customer(payload.id)
        await workflows.workflow.add_search_keys({"customer.tier": customer.tier})
        await workflows.workflow.wait_condition(lambda: self.released)
        await workflows.workflow.delete_search_keys(["customer.tier"])
        return customer.tier
