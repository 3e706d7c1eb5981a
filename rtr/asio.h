// Boost.Asio for the RTR layer (rtr/ includes it only through this header;
// Beast's HTTP code in http/ and nrtm4/ includes its own parts). Boost 1.74
// (Debian 12) uses std::exchange in asio/awaitable.hpp without including
// <utility>, which GCC 12 does not include for it.
#ifndef RTR42_RTR_ASIO_H_
#define RTR42_RTR_ASIO_H_

#include <boost/asio.hpp>
#include <utility>

#endif  // RTR42_RTR_ASIO_H_
