"""A local OpenAlex API stand-in serving real OpenAlex records, for the `api` source's offline tests.

    from openalex_standin import StandIn, load_dataset
    with StandIn(load_dataset()) as server:
        server.add_fault("503", skip=2)        # the 3rd /works request answers 503
        ... OPENALEX_API_URL=server.url ...
"""

from .data import Dataset, load_dataset
from .server import FAULT_KINDS, Fault, StandIn

__all__ = ["Dataset", "FAULT_KINDS", "Fault", "StandIn", "load_dataset"]
