/* Stand-in for a driver header named in multi_class.iig's @iig implementation block. */
#pragma once
