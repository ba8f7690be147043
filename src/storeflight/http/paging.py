"""The Store's paging wrapper: `{value, totalCount, @nextLink?}` with links relative to /v1.0/my/."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query


class Paging:
    def __init__(self, top: int, skip: int) -> None:
        self.top = top
        self.skip = skip

    def wrap(self, items: list[Any], total: int, path: str) -> dict[str, Any]:
        body: dict[str, Any] = {"value": items, "totalCount": total}
        if self.skip + self.top < total:
            body["@nextLink"] = f"{path}?skip={self.skip + self.top}&top={self.top}"
        return body


async def paging(
    top: Annotated[int, Query(ge=1, le=10_000, description="Items per page (default 10)")] = 10,
    skip: Annotated[int, Query(ge=0, le=2**31 - 1, description="Items to skip")] = 0,
) -> Paging:
    return Paging(top, skip)


PagingDep = Annotated[Paging, Depends(paging)]
