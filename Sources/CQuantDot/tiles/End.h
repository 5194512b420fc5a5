// Undefines what QuantTiles.h and TypeKernels.h define, so the next instruction set defines them afresh.
#undef QT_CASE
#undef QT_CASES_RM
#undef QT_DRIVER
#undef QT_DRIVER_NAMED
#undef QT_TILE
#undef QT_ROW
#undef QT_PREFETCH

// This file's inputs, so the next instruction set defines them afresh.
#undef ISA
#undef ISA_TARGET
#undef ISA_VNNI
#undef MAIN_RM
#undef MAIN_RN
#undef PANEL_RN
#undef QT_FN
#undef QT_GLUE
#undef QT_GLUE_
