// Handlers of the key command family (issue 3). Empty until the family lands.
#include "server/handler_tables.h"

namespace slotproxy::server {

std::span<const HandlerRow> KeyHandlers() { return {}; }

}  // namespace slotproxy::server
