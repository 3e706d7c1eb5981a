// The one place rtr42 includes Boost.Asio. Boost 1.74 (Debian 12) uses
// std::exchange in asio/awaitable.hpp without including <utility>, which
// GCC 12 does not include for it.
#ifndef RTR42_RTR_ASIO_H_
#define RTR42_RTR_ASIO_H_

#include <boost/asio.hpp>
#include <utility>

#endif  // RTR42_RTR_ASIO_H_
