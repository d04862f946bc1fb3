^facetCountsMatchFilters$|^fuzzyQueryRanksExactMatchFirst$|^incrementalUpdateIsVisible$|^mergeGuestCartOnLogin$|^rebuildsIndexFromScratch$
