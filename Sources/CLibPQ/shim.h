#ifndef CANTEEN_CLIBPQ_SHIM_H
#define CANTEEN_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
