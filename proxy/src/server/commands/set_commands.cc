// Handlers of the set command family (issue 3). Empty until the family lands.
#include "server/handler_tables.h"

namespace slotproxy::server {

std::span<const HandlerRow> SetHandlers() { return {}; }

}  // namespace slotproxy::server
