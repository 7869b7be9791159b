"""The seed's "Real-World Examples", with only the import changed. The external
services they call (OCR, analytics, payment, storage, ...) are local stand-ins;
the functions that fetch the items are activities, since a workflow does its
I/O through activities.

    python examples/seed_real_world.py
"""
import asyncio
import types

import worker_sdk as workflows

# ------------------------------------------------------------ stand-ins
N_ITEMS = 200


class _Service:
    def __init__(self, name: str):
        self.name = name

    async def extract(self, content: str) -> str:
        return content.upper()

    async def calculate_score(self, user_id: str) -> int:
        return sum(map(ord, user_id)) % 100

    async def get_recommendations(self, user_id: str) -> list[str]:
        return [f"{user_id}-pick-{k}" for k in range(2)]

    async def process(self, order_id: str) -> str:
        return f"{self.name}:{order_id}:ok"

    async def reserve(self, items: list[str]) -> str:
        return f"{self.name}:reserved:{len(items)}"

    async def schedule(self, order_id: str) -> str:
        return f"{self.name}:{order_id}:scheduled"


ocr_service = _Service("ocr")
analytics_service = _Service("analytics")
recommendation_service = _Service("recommendations")
payment_service = _Service("payment")
inventory_service = _Service("inventory")
shipping_service = _Service("shipping")


@workflows.activity()
async def fetch_documents_from_storage() -> list[dict]:
    return [{"document_id": f"doc-{i}", "content": f"text of document {i}", "metadata": {"page": i}} for i in range(N_ITEMS)]


@workflows.activity()
async def get_all_users() -> list[dict]:
    return [{"user_id": f"u{i}", "name": f"User {i}", "email": f"u{i}@example.com"} for i in range(N_ITEMS)]


database = types.SimpleNamespace(get_all_users=get_all_users)


@workflows.activity()
async def fetch_pending_orders() -> list[dict]:
    return [{"order_id": f"o{i}", "customer_id": f"c{i % 7}", "items": [f"sku-{i}", f"sku-{i + 1}"]} for i in range(N_ITEMS)]


# --------------------------------------------- Document Processing Pipeline
@workflows.activity()
async def extract_text(document_id: str, content: str, metadata: dict) -> dict:
    # Use OCR or text extraction
    extracted_text = await ocr_service.extract(content)
    return {
        "document_id": document_id,
        "extracted_text": extracted_text,
        "analysis_results": {}
    }


@workflows.workflow.define(name="document_pipeline")
class DocumentPipeline:
    @workflows.workflow.entrypoint
    async def run(self) -> list[dict]:
        # Process all documents in parallel
        documents = await fetch_documents_from_storage()
        results = await workflows.execute_activities_in_parallel(
            activity=extract_text,
            items=documents
        )
        return results


# ---------------------------------------------------- Batch Data Transformation
@workflows.activity()
async def enrich_user_data(user_id: str, name: str, email: str) -> dict:
    # Fetch additional data from external services
    profile_score = await analytics_service.calculate_score(user_id)
    recommendations = await recommendation_service.get_recommendations(user_id)
    return {
        "user_id": user_id,
        "name": name,
        "email": email,
        "profile_score": profile_score,
        "recommendations": recommendations
    }


@workflows.workflow.define(name="batch_transformation")
class BatchTransformation:
    @workflows.workflow.entrypoint
    async def run(self) -> list[dict]:
        # Enrich all users in parallel
        users = await database.get_all_users()
        enriched_users = await workflows.execute_activities_in_parallel(
            activity=enrich_user_data,
            items=users,
            max_concurrent_scheduled_tasks=50
        )
        return enriched_users


# ------------------------------------------------------ Multi-Service Orchestration
@workflows.activity()
async def process_order(order_id: str, customer_id: str, items: list[str]) -> dict:
    # Call multiple services in parallel
    payment_result = await payment_service.process(order_id)
    inventory_result = await inventory_service.reserve(items)
    shipping_result = await shipping_service.schedule(order_id)
    return {
        "order_id": order_id,
        "status": "processed",
        "fulfillment_details": {
            "payment": payment_result,
            "inventory": inventory_result,
            "shipping": shipping_result
        }
    }


@workflows.workflow.define(name="order_orchestration")
class OrderOrchestration:
    @workflows.workflow.entrypoint
    async def run(self) -> list[dict]:
        # Process all orders in parallel
        orders = await fetch_pending_orders()
        results = await workflows.execute_activities_in_parallel(
            activity=process_order,
            items=orders
        )
        return results


async def main() -> None:
    documents = await workflows.execute_workflow(DocumentPipeline)
    users = await workflows.execute_workflow(BatchTransformation)
    orders = await workflows.execute_workflow(OrderOrchestration)
    print(f"documents: {len(documents)}, first {documents[0]}")
    print(f"users: {len(users)}, first {users[0]}")
    print(f"orders: {len(orders)}, first {orders[0]}")


if __name__ == "__main__":
    asyncio.run(main())
