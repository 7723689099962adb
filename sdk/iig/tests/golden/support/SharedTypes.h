/* Stand-in for the header generated from SharedTypes.iig (multi_class.iig includes it). */
#pragma once
