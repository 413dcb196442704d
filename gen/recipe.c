/* SPDX-License-Identifier: MIT */
/* recipe: stub */
